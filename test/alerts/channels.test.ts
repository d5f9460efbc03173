// The channel senders against real local receivers: exact request formats, headers, signatures,
// a real SMTP server for e-mail, and how failures are classified for the outbox's retries.
import { createHmac } from 'node:crypto';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  channelSecretFields,
  checkChannelSettings,
  publicChannelSettings,
  sendAlertNotification,
  testNotification,
  type AlertNotification,
} from '../../src/services/alerts/channels.ts';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../helpers/receivers.ts';

const AT = new Date('2026-12-01T12:34:56.000Z');

function firing(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return {
    event: 'FIRING',
    idempotencyKey: 'alert-42:fire:7',
    at: AT,
    rule: { id: 'rule-1', name: 'CPU hot', kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 90 },
    server: { id: 'srv-1', identifier: 'web-01', name: 'Web 01' },
    value: 97.5,
    message: 'web-01: CPU 97.5 % is above 90 %',
    ...overrides,
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
async function receiver(...args: Parameters<typeof startHttpReceiver>): Promise<HttpReceiver> {
  const started = await startHttpReceiver(...args);
  closers.push(started.close);
  return started;
}
async function smtp(...args: Parameters<typeof startSmtpReceiver>): Promise<SmtpReceiver> {
  const started = await startSmtpReceiver(...args);
  closers.push(started.close);
  return started;
}

describe('WEBHOOK', () => {
  it('posts the notification as JSON, signed with HMAC-SHA256 of the exact body, with the idempotency key as a header', async () => {
    const hook = await receiver();
    const result = await sendAlertNotification('WEBHOOK', { url: `${hook.url}/hooks/hf?x=1`, secret: 's3cret' }, firing());
    expect(result).toEqual({ ok: true });
    const [request] = await hook.waitFor(1);
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/hooks/hf?x=1');
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    expect(request!.headers['idempotency-key']).toBe('alert-42:fire:7');
    expect(request!.headers['x-harborforge-event']).toBe('FIRING');
    const expected = `sha256=${createHmac('sha256', 's3cret').update(request!.body).digest('hex')}`;
    expect(request!.headers['x-harborforge-signature']).toBe(expected);
    expect(JSON.parse(request!.body)).toEqual({
      event: 'FIRING',
      reminder: false,
      idempotencyKey: 'alert-42:fire:7',
      at: '2026-12-01T12:34:56.000Z',
      rule: { id: 'rule-1', name: 'CPU hot', kind: 'METRIC', metric: 'CPU_PCT', operator: 'ABOVE', threshold: 90 },
      server: { id: 'srv-1', identifier: 'web-01', name: 'Web 01' },
      value: 97.5,
      message: 'web-01: CPU 97.5 % is above 90 %',
    });
  });

  it('sends no signature without a secret; RESOLVED, TEST and digests keep the same shape', async () => {
    const hook = await receiver();
    await sendAlertNotification('WEBHOOK', { url: hook.url }, firing({ event: 'RESOLVED', value: null }));
    await sendAlertNotification('WEBHOOK', { url: hook.url }, testNotification(AT, 'ops'));
    const digest = firing({ idempotencyKey: 'digest-1', message: '3 notifications', digest: [firing(), firing({ event: 'RESOLVED' }), firing({ reminder: true })] });
    await sendAlertNotification('WEBHOOK', { url: hook.url }, digest);
    const [resolved, test, digested] = await hook.waitFor(3);
    expect(resolved!.headers['x-harborforge-signature']).toBeUndefined();
    expect(JSON.parse(resolved!.body)).toMatchObject({ event: 'RESOLVED', value: null, server: { identifier: 'web-01' } });
    expect(JSON.parse(test!.body)).toMatchObject({ event: 'TEST', rule: null, server: null, at: AT.toISOString() });
    expect(JSON.parse(test!.body).message).toMatch(/Test notification .*"ops"/);
    const body = JSON.parse(digested!.body);
    expect(body.idempotencyKey).toBe('digest-1');
    expect(body.digest.map((item: { event: string; reminder: boolean }) => [item.event, item.reminder])).toEqual([
      ['FIRING', false],
      ['RESOLVED', false],
      ['FIRING', true],
    ]);
  });
});

describe('SLACK and DISCORD incoming webhooks', () => {
  it('Slack gets { text } in plain text with the event, the message and the details', async () => {
    const slack = await receiver(() => ({ status: 200, body: 'ok' }));
    expect(await sendAlertNotification('SLACK', { url: `${slack.url}/services/T0/B0/XYZ` }, firing())).toEqual({ ok: true });
    const [request] = await slack.waitFor(1);
    expect(request!.path).toBe('/services/T0/B0/XYZ');
    const body = JSON.parse(request!.body);
    expect(Object.keys(body).sort()).toEqual(['mrkdwn', 'text']);
    expect(body.mrkdwn).toBe(false);
    expect(body.text).toBe(
      '[FIRING] web-01: CPU 97.5 % is above 90 %\nweb-01: CPU 97.5 % is above 90 %\nRule: CPU hot (METRIC)\nServer: Web 01 (web-01)\nValue: 97.5\nAt: 2026-12-01T12:34:56.000Z',
    );
  });

  it('Discord gets { content } within 2,000 characters, mentions disabled, even for a large digest', async () => {
    const discord = await receiver(() => ({ status: 204 }));
    const items = Array.from({ length: 120 }, (_, i) => firing({ idempotencyKey: `k${i}`, message: `srv-${i} is OFFLINE (no heartbeat for 95 s)` }));
    const result = await sendAlertNotification('DISCORD', { url: `${discord.url}/api/webhooks/1/abc`, username: 'HarborForge' }, firing({ message: 'digest', digest: items }));
    expect(result).toEqual({ ok: true });
    const body = JSON.parse((await discord.waitFor(1))[0]!.body);
    expect(body.username).toBe('HarborForge');
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content.length).toBeLessThanOrEqual(2000);
    expect(body.content).toMatch(/^\[DIGEST\] 120 alert notifications \(120 FIRING\)\n\[FIRING\] srv-0 is OFFLINE/);
  });

  it('Discord 429 takes the delay from the JSON body when there is no Retry-After header', async () => {
    const discord = await receiver(() => ({ status: 429, headers: { 'content-type': 'application/json' }, body: '{"message":"You are being rate limited.","retry_after":2.4,"global":false}' }));
    const result = await sendAlertNotification('DISCORD', { url: discord.url }, firing());
    expect(result).toMatchObject({ ok: false, permanent: false, retryAfterSeconds: 3 });
  });
});

describe('TELEGRAM', () => {
  const token = '123456:ABC-DEF_ghi';

  it('calls sendMessage on the configured API base with chat_id and text', async () => {
    const telegram = await receiver(() => ({ status: 200, body: '{"ok":true,"result":{}}' }));
    const result = await sendAlertNotification('TELEGRAM', { botToken: token, chatId: -1001234 }, firing(), { telegramApiBase: `${telegram.url}/tg/` });
    expect(result).toEqual({ ok: true });
    const [request] = await telegram.waitFor(1);
    expect(request!.path).toBe(`/tg/bot${token}/sendMessage`);
    const body = JSON.parse(request!.body);
    expect(body.chat_id).toBe('-1001234');
    expect(body.text).toMatch(/^\[FIRING\] web-01: CPU 97\.5 % is above 90 %\n/);
    expect(body.link_preview_options).toEqual({ is_disabled: true });
  });

  it('429 honours parameters.retry_after; 401 is permanent and its error never shows the token', async () => {
    const telegram = await receiver((_request, index) =>
      index === 0
        ? { status: 429, body: '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}' }
        : { status: 401, body: '{"ok":false,"error_code":401,"description":"Unauthorized"}' },
    );
    const options = { telegramApiBase: telegram.url };
    expect(await sendAlertNotification('TELEGRAM', { botToken: token, chatId: '@harbor_ops' }, firing(), options)).toMatchObject({ ok: false, permanent: false, retryAfterSeconds: 7 });
    const denied = await sendAlertNotification('TELEGRAM', { botToken: token, chatId: '@harbor_ops' }, firing(), options);
    expect(denied).toMatchObject({ ok: false, permanent: true });
    expect(denied.ok === false && denied.error).toBe('HTTP 401: {"ok":false,"error_code":401,"description":"Unauthorized"}');
    expect(JSON.stringify(denied)).not.toContain('ABC-DEF');
  });
});

describe('NTFY and GOTIFY', () => {
  it('ntfy gets the body as text and title/priority/tags/authorization as headers', async () => {
    const ntfy = await receiver();
    await sendAlertNotification('NTFY', { serverUrl: `${ntfy.url}/`, topic: 'harbor-alerts', token: 'tk_secret', priority: 5 }, firing());
    await sendAlertNotification('NTFY', { serverUrl: ntfy.url, topic: 'harbor-alerts' }, firing({ event: 'RESOLVED', server: { id: 's', identifier: 'hôte-1', name: 'Hôte' }, message: 'hôte-1 is back ONLINE' }));
    const [fire, resolved] = await ntfy.waitFor(2);
    expect(fire!.path).toBe('/harbor-alerts');
    expect(fire!.headers).toMatchObject({ title: '[FIRING] web-01: CPU 97.5 % is above 90 %', priority: '5', tags: 'harborforge,rotating_light', authorization: 'Bearer tk_secret' });
    expect(fire!.body).toBe('web-01: CPU 97.5 % is above 90 %\nRule: CPU hot (METRIC)\nServer: Web 01 (web-01)\nValue: 97.5\nAt: 2026-12-01T12:34:56.000Z');
    expect(resolved!.headers.authorization).toBeUndefined();
    expect(resolved!.headers).toMatchObject({ priority: '3', tags: 'harborforge,white_check_mark' });
    // Non-ASCII titles travel as an RFC 2047 encoded word (ntfy decodes those).
    const encoded = /^=\?UTF-8\?B\?(.+)\?=$/.exec(String(resolved!.headers.title));
    expect(Buffer.from(encoded![1]!, 'base64').toString('utf8')).toBe('[RESOLVED] hôte-1 is back ONLINE');
  });

  it('Gotify gets POST /message with X-Gotify-Key and { title, message, priority }', async () => {
    const gotify = await receiver(() => ({ status: 200, body: '{"id":1}' }));
    await sendAlertNotification('GOTIFY', { serverUrl: `${gotify.url}/gotify`, appToken: 'AbCdEf.123' }, firing());
    await sendAlertNotification('GOTIFY', { serverUrl: `${gotify.url}/gotify`, appToken: 'AbCdEf.123' }, testNotification(AT));
    const [fire, test] = await gotify.waitFor(2);
    expect(fire!.path).toBe('/gotify/message');
    expect(fire!.headers['x-gotify-key']).toBe('AbCdEf.123');
    expect(JSON.parse(fire!.body)).toEqual({
      title: '[FIRING] web-01: CPU 97.5 % is above 90 %',
      message: 'web-01: CPU 97.5 % is above 90 %\nRule: CPU hot (METRIC)\nServer: Web 01 (web-01)\nValue: 97.5\nAt: 2026-12-01T12:34:56.000Z',
      priority: 8,
    });
    expect(JSON.parse(test!.body)).toMatchObject({ title: expect.stringMatching(/^\[TEST\] Test notification/), priority: 2 });
  });
});

describe('EMAIL through a real SMTP server', () => {
  it('uses the SMTP settings from the environment, with authentication', async () => {
    const server = await smtp({ auth: { user: 'alerts', password: 'pw-123' } });
    const defaults = { host: '127.0.0.1', port: server.port, user: 'alerts', password: 'pw-123', from: 'HarborForge <hf@example.com>', secure: false };
    const result = await sendAlertNotification('EMAIL', { to: 'ops@example.com, oncall@example.com' }, firing(), { smtp: defaults });
    expect(result).toEqual({ ok: true });
    const [mail] = await server.waitFor(1);
    expect(mail!.authUser).toBe('alerts');
    expect(mail!.envelope).toEqual({ from: 'hf@example.com', to: ['ops@example.com', 'oncall@example.com'] });
    expect(mail!.subject).toBe('[HarborForge] [FIRING] web-01: CPU 97.5 % is above 90 %');
    expect(mail!.from!.value).toEqual([{ name: 'HarborForge', address: 'hf@example.com' }]);
    expect(mail!.messageId).toBe('<alert-42_fire_7@harborforge.invalid>');
    expect(mail!.headers.get('x-harborforge-event')).toBe('FIRING');
    expect(mail!.headers.get('x-harborforge-idempotency-key')).toBe('alert-42:fire:7');
    expect(mail!.text).toContain('Server: Web 01 (web-01)\nValue: 97.5\n');
  });

  it('a channel with its own smtpHost uses only its own settings (the environment password is not sent there)', async () => {
    const own = await smtp();
    const result = await sendAlertNotification(
      'EMAIL',
      { to: ['a@example.com'], from: 'Ops <ops@example.org>', smtpHost: '127.0.0.1', smtpPort: own.port },
      testNotification(AT),
      { smtp: { host: '127.0.0.1', port: 1, user: 'env-user', password: 'env-pw' } },
    );
    expect(result).toEqual({ ok: true });
    const [mail] = await own.waitFor(1);
    expect(mail!.authUser).toBeUndefined();
    expect(mail!.subject).toMatch(/^\[HarborForge\] \[TEST\] Test notification/);
  });

  it('a 5xx reply is permanent, a refused connection transient, no SMTP server at all permanent', async () => {
    const rejecting = await smtp({ rejectWith: { code: 550, message: 'No such user here' } });
    const rejected = await sendAlertNotification('EMAIL', { to: 'nobody@example.com' }, firing(), { smtp: { host: '127.0.0.1', port: rejecting.port } });
    expect(rejected).toMatchObject({ ok: false, permanent: true });
    expect(rejected.ok === false && rejected.error).toMatch(/550/);

    const wrongPassword = await smtp({ auth: { user: 'alerts', password: 'right' } });
    const denied = await sendAlertNotification('EMAIL', { to: 'ops@example.com' }, firing(), { smtp: { host: '127.0.0.1', port: wrongPassword.port, user: 'alerts', password: 'wrong' } });
    expect(denied).toMatchObject({ ok: false, permanent: true });
    expect(JSON.stringify(denied)).not.toContain('wrong');

    const refused = await sendAlertNotification('EMAIL', { to: 'ops@example.com' }, firing(), { smtp: { host: '127.0.0.1', port: await closedPort() }, timeoutMs: 2000 });
    expect(refused).toMatchObject({ ok: false, permanent: false });

    const unconfigured = await sendAlertNotification('EMAIL', { to: 'ops@example.com' }, firing());
    expect(unconfigured).toMatchObject({ ok: false, permanent: true, error: expect.stringMatching(/^smtpHost: /) });
  });
});

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('failure classification', () => {
  it.each([
    [500, false],
    [502, false],
    [503, false],
    [408, false],
    [404, true],
    [400, true],
    [401, true],
    [410, true],
  ])('HTTP %i → permanent=%s', async (status, permanent) => {
    const hook = await receiver(() => ({ status, body: `status ${status}` }));
    const result = await sendAlertNotification('WEBHOOK', { url: hook.url }, firing());
    expect(result).toEqual({ ok: false, permanent, error: `HTTP ${status}: status ${status}` });
  });

  it('429 is transient and honours Retry-After in seconds or as an HTTP date', async () => {
    const hook = await receiver((_request, index) => ({
      status: 429,
      headers: { 'retry-after': index === 0 ? '120' : new Date(Date.now() + 30_000).toUTCString() },
    }));
    expect(await sendAlertNotification('WEBHOOK', { url: hook.url }, firing())).toEqual({ ok: false, permanent: false, error: 'HTTP 429', retryAfterSeconds: 120 });
    const dated = await sendAlertNotification('WEBHOOK', { url: hook.url }, firing());
    expect(dated).toMatchObject({ ok: false, permanent: false });
    expect(dated.ok === false && dated.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(dated.ok === false && dated.retryAfterSeconds).toBeLessThanOrEqual(31);
  });

  it('a receiver slower than the deadline is a transient timeout; a refused connection is transient', async () => {
    const slow = await receiver(() => ({ status: 200, delayMs: 5000 }));
    const started = Date.now();
    const timedOut = await sendAlertNotification('WEBHOOK', { url: slow.url }, firing(), { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(timedOut).toEqual({ ok: false, permanent: false, error: 'timed out after 300 ms' });

    const refused = await sendAlertNotification('SLACK', { url: `http://127.0.0.1:${await closedPort()}/x` }, firing());
    expect(refused).toEqual({ ok: false, permanent: false, error: 'request failed: ECONNREFUSED' });
  });

  it('invalid settings are a permanent failure that names the field, and nothing is sent', async () => {
    expect(await sendAlertNotification('WEBHOOK', { url: 'ftp://example.com/x' }, firing())).toEqual({
      ok: false,
      permanent: true,
      error: 'invalid channel settings: settings.url: must be an http:// or https:// URL',
    });
  });
});

describe('settings schemas', () => {
  it.each([
    ['WEBHOOK', {}, /^settings\.url: /],
    ['WEBHOOK', { url: 'https://x.example', secert: 'typo' }, /^settings: .*secert/],
    ['SLACK', { url: 'not a url' }, /^settings\.url: must be an http/],
    ['DISCORD', { url: 'https://d.example', username: '' }, /^settings\.username: must not be empty/],
    ['TELEGRAM', { botToken: 'nope', chatId: '1' }, /^settings\.botToken: must look like/],
    ['TELEGRAM', { botToken: '1:a', chatId: 'general' }, /^settings\.chatId: must be a numeric chat id/],
    ['NTFY', { topic: 'has space' }, /^settings\.topic: /],
    ['NTFY', { topic: 't', priority: 9 }, /^settings\.priority: must be at most 5/],
    ['GOTIFY', { serverUrl: 'https://g.example' }, /^settings\.appToken: /],
    ['EMAIL', { to: 'ops@example.com, not-an-address' }, /^settings\.to\.1: must be an e-mail address/],
    ['EMAIL', { to: [] }, /^settings\.to: must name at least one address/],
    ['EMAIL', { to: 'a@example.com', smtpPort: 0 }, /^settings\.smtpPort: must be a port/],
  ] as const)('%s %o → %s', (kind, settings, message) => {
    const checked = checkChannelSettings(kind, settings);
    expect(checked.ok).toBe(false);
    expect(checked.ok === false && checked.error).toMatch(message);
  });

  it('defaults and normalises (ntfy server, chat id as text, address lists)', () => {
    expect(checkChannelSettings('NTFY', { topic: 'alerts' })).toEqual({ ok: true, settings: { serverUrl: 'https://ntfy.sh', topic: 'alerts' } });
    expect(checkChannelSettings('TELEGRAM', { botToken: '1:a', chatId: 42 })).toEqual({ ok: true, settings: { botToken: '1:a', chatId: '42' } });
    expect(checkChannelSettings('EMAIL', { to: ' a@example.com ,b@example.com' })).toMatchObject({ ok: true, settings: { to: ['a@example.com', 'b@example.com'] } });
  });

  it('secret fields are listed per kind and left out of what may be shown', () => {
    expect(channelSecretFields).toEqual({
      WEBHOOK: ['secret'],
      SLACK: ['url'],
      DISCORD: ['url'],
      TELEGRAM: ['botToken'],
      NTFY: ['token'],
      GOTIFY: ['appToken'],
      EMAIL: ['smtpPassword'],
    });
    expect(publicChannelSettings('WEBHOOK', { url: 'https://x.example', secret: 'hush' })).toEqual({ settings: { url: 'https://x.example' }, secretsSet: ['secret'] });
    expect(publicChannelSettings('NTFY', { serverUrl: 'https://ntfy.sh', topic: 't', token: null })).toEqual({ settings: { serverUrl: 'https://ntfy.sh', topic: 't' }, secretsSet: [] });
  });
});
