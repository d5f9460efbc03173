// The Alerts section's pure logic, without a browser: channel forms to settings, and how rules,
// scopes and silences read.
import { describe, expect, it } from 'vitest';
import { CHANNEL_FIELDS, channelSummary, settingsFromForm } from '../../src/web/client/admin/alerts/channel-fields.ts';
import { ruleCondition, scopeText, silenceWhen } from '../../src/web/client/admin/alerts/rule-text.ts';
import { channelSecretFields, channelSettingsSchemas, checkChannelSettings } from '../../src/services/alerts/channels.ts';

describe('channel form', () => {
  it('asks for every setting the server knows, and marks exactly its secret fields as secret', () => {
    for (const [kind, fields] of Object.entries(CHANNEL_FIELDS) as [keyof typeof CHANNEL_FIELDS, (typeof CHANNEL_FIELDS)[keyof typeof CHANNEL_FIELDS]][]) {
      expect(fields.map((field) => field.name).sort()).toEqual(Object.keys(channelSettingsSchemas[kind].shape).sort());
      expect(fields.filter((field) => field.type === 'secret').map((field) => field.name).sort()).toEqual([...channelSecretFields[kind]].sort());
    }
  });

  it('builds settings the server accepts, leaving empty optional fields out', () => {
    const ntfy = settingsFromForm('NTFY', { serverUrl: ' ', topic: ' alerts ', token: '', priority: '5' });
    expect(ntfy).toEqual({ settings: { topic: 'alerts', priority: 5 }, errors: {} });
    expect(checkChannelSettings('NTFY', ntfy.settings).ok).toBe(true);
    const email = settingsFromForm('EMAIL', { to: 'a@example.com, b@example.com', smtpPort: '2525', smtpSecure: true, smtpHost: 'mail.example.com' });
    expect(checkChannelSettings('EMAIL', email.settings)).toMatchObject({ ok: true, settings: { to: ['a@example.com', 'b@example.com'], smtpPort: 2525, smtpSecure: true } });
  });

  it('says which required fields are missing and which numbers are not numbers', () => {
    expect(settingsFromForm('TELEGRAM', { botToken: '', chatId: '' }).errors).toEqual({ botToken: 'Required.', chatId: 'Required.' });
    expect(settingsFromForm('GOTIFY', { serverUrl: 'https://g.example', appToken: 't', priority: 'high' }).errors).toEqual({ priority: 'A whole number.' });
  });

  it('summarises a channel from what queries show', () => {
    expect(channelSummary('NTFY', { serverUrl: 'https://ntfy.sh/', topic: 'ops' })).toBe('https://ntfy.sh/ops');
    expect(channelSummary('EMAIL', { to: ['a@example.com', 'b@example.com'] })).toBe('to a@example.com, b@example.com');
    expect(channelSummary('SLACK', {})).toBe('');
  });
});

describe('rule and silence text', () => {
  it('reads a rule as a condition', () => {
    expect(ruleCondition({ kind: 'OFFLINE', metric: null, operator: null, threshold: null, clearThreshold: null, forSeconds: 0 })).toBe('Server offline');
    expect(ruleCondition({ kind: 'METRIC', metric: 'DISK_PCT', operator: 'ABOVE', threshold: 90, clearThreshold: 85, forSeconds: 300 })).toBe(
      'Disk above 90 % (clears below 85 %) for 5 min',
    );
    expect(ruleCondition({ kind: 'METRIC', metric: 'LOAD5', operator: 'BELOW', threshold: 0.5, clearThreshold: 0.5, forSeconds: 0 })).toBe('Load (5 min) below 0.5');
  });

  it('reads scopes and weekly windows', () => {
    expect(scopeText([], [], new Map())).toBe('All servers');
    expect(scopeText(['a', 'gone'], ['db'], new Map([['a', 'web-01']]))).toBe('web-01, deleted server, tag:db');
    expect(silenceWhen({ startsAt: null, endsAt: null, recurrence: { days: ['SUN', 'MON'], startTime: '02:00', durationMinutes: 90 } })).toBe(
      'Every Mon, Sun at 02:00 UTC for 1 h 30 min',
    );
  });
});
