// The web page's pure logic, without a browser: formatting, the SSE parser, error mapping, the
// plugin configuration block and sorting.
import { describe, expect, it } from 'vitest';
import { openclawConfig } from '../../src/web/client/admin/api.ts';
import { formatAgo, formatDuration, formatLoad, formatPct, matchesSearch, usageLevel } from '../../src/web/client/shared/format.ts';
import { parseFieldErrors, toRequestError } from '../../src/web/client/shared/graphql.ts';
import { parseSseBuffer } from '../../src/web/client/shared/sse.ts';
import { secondsSince } from '../../src/web/client/shared/clock.ts';
import { sortServers, type OverviewServer } from '../../src/web/client/status/overview.ts';

describe('formatting', () => {
  it('says how long ago, with at most two units', () => {
    expect(formatAgo(null)).toBe('never');
    expect(formatAgo(0)).toBe('just now');
    expect(formatAgo(12)).toBe('12 s ago');
    expect(formatAgo(4 * 60 + 12)).toBe('4 min ago');
    expect(formatAgo(3 * 3600 + 5 * 60)).toBe('3 h 5 min ago');
    expect(formatAgo(2 * 86400 + 3 * 3600 + 59)).toBe('2 d 3 h ago');
    expect(formatDuration(7200)).toBe('2 h');
  });

  it('formats percentages, load and usage levels', () => {
    expect(formatPct(null)).toBe('—');
    expect(formatPct(4.25)).toBe('4.3%');
    expect(formatPct(5)).toBe('5%');
    expect(formatPct(41.6)).toBe('42%');
    expect(formatPct(140)).toBe('100%');
    expect(formatLoad([0.42, 0.35, 0.3])).toBe('0.42 0.35 0.30');
    expect(formatLoad(null)).toBe('—');
    expect([usageLevel(null), usageLevel(10), usageLevel(80), usageLevel(95)]).toEqual(['none', 'ok', 'high', 'critical']);
  });

  it('measures time since a timestamp, never negative', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    expect(secondsSince('2026-01-01T00:00:48Z', now)).toBe(12);
    expect(secondsSince('2026-01-01T00:01:05Z', now)).toBe(0);
    expect(secondsSince(null, now)).toBeNull();
  });

  it('searches name and identifier, case-insensitively', () => {
    const server = { name: 'Build Runner', identifier: 'ci-07' };
    expect(matchesSearch(server, 'runner')).toBe(true);
    expect(matchesSearch(server, 'CI-0')).toBe(true);
    expect(matchesSearch(server, '  ')).toBe(true);
    expect(matchesSearch(server, 'web')).toBe(false);
  });
});

describe('SSE parsing', () => {
  it('splits complete events and keeps the unfinished rest', () => {
    const { events, rest } = parseSseBuffer(':\n\nevent: next\ndata: {"data":{"a":1}}\n\nevent: complete\ndata:\n\nevent: next\ndata: {"da');
    expect(events).toEqual([
      { event: 'next', data: '{"data":{"a":1}}' },
      { event: 'complete', data: '' },
    ]);
    expect(rest).toBe('event: next\ndata: {"da');
  });

  it('joins multi-line data and accepts CRLF', () => {
    const { events } = parseSseBuffer('event: next\r\ndata: {"a":\r\ndata: 1}\r\n\r\n');
    expect(events).toEqual([{ event: 'next', data: '{"a":\n1}' }]);
  });
});

describe('GraphQL errors', () => {
  it('maps validation messages to the fields they name', () => {
    const error = toRequestError([
      {
        message: 'identifier: may contain only letters; intervalSeconds: must be at least 5 seconds',
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.fieldErrors).toEqual({ identifier: 'may contain only letters', intervalSeconds: 'must be at least 5 seconds' });
    expect(parseFieldErrors('input.identifier: must not be empty')).toEqual({ identifier: 'must not be empty' });
    expect(parseFieldErrors('something went wrong: badly')).toEqual({});
  });

  it('keeps conflict messages whole and flags auth failures', () => {
    const conflict = toRequestError([{ message: 'a server with identifier "x" already exists', extensions: { code: 'CONFLICT' } }]);
    expect(conflict.fieldErrors).toEqual({});
    expect(conflict.message).toContain('already exists');
    expect(toRequestError([{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }]).isAuthFailure).toBe(true);
    expect(toRequestError([{ message: 'Unexpected error.' }]).code).toBe('UNEXPECTED');
  });
});

describe('plugin configuration block', () => {
  it('is valid JSON in the shape ~/.openclaw/openclaw.json expects', () => {
    const text = openclawConfig('http://monitor.example:4000', 'hfm_secret', { identifier: 'web-01', intervalSeconds: 15 });
    expect(JSON.parse(text)).toEqual({
      plugins: {
        entries: {
          'harborforge-monitor': {
            enabled: true,
            config: { backendUrl: 'http://monitor.example:4000', apiKey: 'hfm_secret', identifier: 'web-01', intervalSec: 15 },
          },
        },
      },
    });
  });
});

describe('sorting the status table', () => {
  const server = (name: string, status: OverviewServer['status'], cpuPct: number | null): OverviewServer => ({
    id: name,
    identifier: name,
    name,
    status,
    lastSeenAt: null,
    openclawVersion: null,
    pluginVersion: null,
    agents: [],
    cpuPct,
    memPct: null,
    diskPct: null,
    swapPct: null,
    loadAvg: null,
    uptimeSeconds: null,
  });
  const fleet = [server('b', 'ONLINE', 50), server('a', 'OFFLINE', null), server('c', 'LATE', 90), server('d', 'ONLINE', 10)];

  it('puts what needs attention first, then by name', () => {
    expect(sortServers(fleet, { key: 'status', descending: false }).map((s) => s.name)).toEqual(['a', 'c', 'b', 'd']);
  });

  it('sorts metrics with missing values last in both directions', () => {
    expect(sortServers(fleet, { key: 'cpu', descending: true }).map((s) => s.name)).toEqual(['c', 'b', 'd', 'a']);
    expect(sortServers(fleet, { key: 'cpu', descending: false }).map((s) => s.name)).toEqual(['d', 'b', 'c', 'a']);
  });
});
