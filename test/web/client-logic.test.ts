// The web page's pure logic, without a browser: formatting, the SSE parser, error mapping, the
// plugin configuration block and the live table window (applying fleetChanges deltas).
import { describe, expect, it } from 'vitest';
import { openclawConfig } from '../../src/web/client/admin/api.ts';
import { formatAgo, formatDuration, formatLoad, formatPct, matchesSearch, usageLevel } from '../../src/web/client/shared/format.ts';
import { parseFieldErrors, toRequestError } from '../../src/web/client/shared/graphql.ts';
import { parseSseBuffer } from '../../src/web/client/shared/sse.ts';
import { secondsSince } from '../../src/web/client/shared/clock.ts';
import { acceptPage, applyChanges, blockFor, covers, emptyWindow, isOlderVersion, rowAt, type FleetWindow, type Totals, type WindowQuery } from '../../src/web/client/shared/fleet-window.ts';
import type { OverviewServer } from '../../src/web/client/status/overview.ts';
import { formatUptimeRatio, UptimeCache, uptimeClass } from '../../src/web/client/shared/uptime-cache.ts';
import { versionSteps } from '../../src/web/client/server/versions.ts';

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

describe('the live table window', () => {
  const server = (n: number, status: OverviewServer['status'] = 'ONLINE', cpuPct: number | null = 10): OverviewServer => ({
    id: `id-${n}`,
    identifier: `srv-${String(n).padStart(3, '0')}`,
    name: `Host ${n}`,
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
  const totals = (online: number, offline = 0): Totals => ({ servers: online + offline, online, late: 0, offline, pending: 0 });
  const all: WindowQuery = { status: null, search: '', order: 'IDENTIFIER_ASC' };
  // A block of rows 10..14 of a 100-server fleet.
  const block = (): FleetWindow<OverviewServer> =>
    acceptPage(emptyWindow(), { offset: 10, servers: [10, 11, 12, 13, 14].map((n) => server(n)), matching: 100, totals: totals(100), version: 'e1.50' });
  const delta = (version: string, changes: Partial<{ totals: Totals; changed: OverviewServer[]; removed: string[]; reset: boolean }>) => ({
    version,
    reset: false,
    totals: totals(100),
    changed: [],
    removed: [],
    ...changes,
  });

  it('updates rows in place and keeps positions while membership holds', () => {
    const next = applyChanges(block(), delta('e1.51', { changed: [server(12, 'ONLINE', 77)] }), all);
    expect(next.rows.map((row) => row.cpuPct)).toEqual([10, 10, 77, 10, 10]);
    expect(next.stale).toBe(false);
    expect(next.version).toBe('e1.51');
    expect(rowAt(next, 12)!.cpuPct).toBe(77);
    expect(rowAt(next, 15)).toBeUndefined();
  });

  it('ignores an event older than what it holds, from the same instance only', () => {
    const held = block();
    expect(applyChanges(held, delta('e1.49', { changed: [server(12, 'ONLINE', 77)] }), all)).toBe(held);
    expect(isOlderVersion('e1.9', 'e1.10')).toBe(true);
    expect(isOlderVersion('other.1', 'e1.10')).toBe(false);
  });

  it('drops a deleted row and a row that left the filter, and asks for a refetch', () => {
    const online: WindowQuery = { ...all, status: 'ONLINE' };
    const gone = applyChanges(block(), delta('e1.51', { removed: ['id-11'], totals: totals(99) }), all);
    expect(gone.rows.map((row) => row.id)).toEqual(['id-10', 'id-12', 'id-13', 'id-14']);
    expect(gone.matching).toBe(99);
    expect(gone.stale).toBe(true);

    const left = applyChanges(block(), delta('e1.51', { changed: [server(13, 'OFFLINE')], totals: totals(99, 1) }), online);
    expect(left.rows.map((row) => row.id)).toEqual(['id-10', 'id-11', 'id-12', 'id-14']);
    expect(left.matching).toBe(99);
    expect(left.stale).toBe(true);
  });

  it('asks for a refetch when the totals say the list changed elsewhere', () => {
    // A server added before the block shifts every position by one.
    const added = applyChanges(block(), delta('e1.51', { totals: totals(101) }), all);
    expect(added.matching).toBe(101);
    expect(added.stale).toBe(true);
    // A status change elsewhere does not move rows in an unfiltered list...
    expect(applyChanges(block(), delta('e1.51', { totals: totals(99, 1) }), all).stale).toBe(false);
    // ...but does in a filtered one.
    expect(applyChanges(block(), delta('e1.51', { totals: totals(99, 1) }), { ...all, status: 'OFFLINE' }).stale).toBe(true);
  });

  it('keeps the count of a search from the server, minus rows seen leaving', () => {
    const search: WindowQuery = { ...all, search: 'host' };
    const next = applyChanges(block(), delta('e1.51', { removed: ['id-10', 'id-14'], totals: totals(98) }), search);
    expect(next.matching).toBe(98);
    expect(next.rows).toHaveLength(3);
  });

  it('problems first: any status change moves rows between sections, so the block is refetched', () => {
    const problems: WindowQuery = { ...all, order: 'PROBLEMS_FIRST' };
    // A status change elsewhere shifts the sections (it does not in identifier order: see above).
    expect(applyChanges(block(), delta('e1.51', { totals: totals(99, 1) }), problems).stale).toBe(true);
    // A held row changing status moves, even when another change evened the totals out.
    const moved = applyChanges(block(), delta('e1.51', { changed: [server(12, 'LATE')] }), problems);
    expect(moved.stale).toBe(true);
    expect(moved.rows.find((row) => row.id === 'id-12')!.status).toBe('LATE'); // shown as it is until the refetch
    // A heartbeat that keeps the status keeps the positions.
    expect(applyChanges(block(), delta('e1.51', { changed: [server(12, 'ONLINE', 50)] }), problems).stale).toBe(false);
  });

  it('refetches after a reset instead of trusting what it holds', () => {
    const next = applyChanges(block(), delta('e2.1', { reset: true, changed: [server(12, 'ONLINE', 5)] }), all);
    expect(next.stale).toBe(true);
    expect(next.version).toBe('e2.1');
    expect(next.rows[2]!.cpuPct).toBe(10);
  });

  it('a refetched block equals a fresh query: deltas then refetch converge', () => {
    // The server side: 30 servers; a page of rows 5..14; then server 3 is deleted and 12 changes.
    const fleet = Array.from({ length: 30 }, (_, n) => server(n));
    const page = (list: OverviewServer[], offset: number, size: number, version: string) =>
      ({ offset, servers: list.slice(offset, offset + size), matching: list.length, totals: totals(list.length), version });
    let held = acceptPage(emptyWindow<OverviewServer>(), page(fleet, 5, 10, 'e1.1'));
    const after = fleet.filter((row) => row.id !== 'id-3').map((row) => (row.id === 'id-12' ? server(12, 'ONLINE', 99) : row));
    held = applyChanges(held, delta('e1.2', { changed: [after.find((row) => row.id === 'id-12')!], totals: totals(29) }), all);
    expect(held.stale).toBe(true);
    held = acceptPage(held, page(after, held.offset, 10, 'e1.2'));
    expect(held.rows).toEqual(after.slice(5, 15));
    expect(held.stale).toBe(false);
  });

  it('plans blocks around the view and knows what it covers', () => {
    expect(blockFor(0, 20, 60)).toEqual({ offset: 0, size: 80 });
    expect(blockFor(500, 520, 60)).toEqual({ offset: 440, size: 140 });
    const held = block();
    expect(covers(held, 10, 15)).toBe(true);
    expect(covers(held, 9, 12)).toBe(false);
    expect(covers({ ...held, matching: 12 }, 10, 40)).toBe(true); // the list ends inside the block
  });
});

describe('row uptime cache (status page, admin list)', () => {
  const ids = (n: number, stem = 's') => Array.from({ length: n }, (_, i) => `${stem}${i}`);

  it('asks only for what it does not hold or holds for longer than the ttl, in batches of 200', () => {
    const cache = new UptimeCache(300_000, 2_000);
    expect(cache.due(ids(450), 0).map((batch) => batch.length)).toEqual([200, 200, 50]);
    cache.store(ids(200), ids(200).map((serverId, i) => ({ serverId, ratio: i === 0 ? null : 0.99 })), 1_000);
    expect(cache.ratioOf('s1')).toBe(0.99);
    expect(cache.ratioOf('s0')).toBeNull();
    expect(cache.ratioOf('s200')).toBeUndefined();
    expect(cache.due(ids(250), 2_000).flat()).toEqual(ids(250).slice(200));
    expect(cache.due(ids(250), 301_000).flat()).toHaveLength(250); // stale: asked again
  });

  it('holds null for ids the answer left out (deleted), and stays within its size', () => {
    const cache = new UptimeCache(300_000, 300);
    cache.store(['a', 'b'], [{ serverId: 'a', ratio: 1 }], 0);
    expect(cache.ratioOf('b')).toBeNull();
    expect(cache.due(['a', 'b'], 1)).toEqual([]);
    cache.store(ids(400), [], 5);
    expect(cache.size).toBe(300);
    expect(cache.ratioOf('a')).toBeUndefined(); // the oldest went first
    expect(cache.ratioOf('s399')).toBeNull();
  });

  it('formats and colours the figure', () => {
    expect(formatUptimeRatio(undefined)).toBe('—');
    expect(formatUptimeRatio(null)).toBe('—');
    expect(formatUptimeRatio(1)).toBe('100 %');
    expect(formatUptimeRatio(0.99996)).toBe('100 %');
    expect(formatUptimeRatio(0.9965278)).toBe('99.65 %');
    expect([1, 0.995, 0.9, null].map(uptimeClass)).toEqual(['uptime-good', 'uptime-fair', 'uptime-poor', 'muted']);
  });
});

describe('version changes on the server page', () => {
  const row = (at: string, openclawVersion: string | null, pluginVersion: string | null, agents: string[] = ['alpha']) => ({
    at,
    openclawVersion,
    pluginVersion,
    agents: agents.map((name) => ({ name })),
  });

  it('says what changed from the row before, newest first, and the first row as first reported when complete', () => {
    const rows = [row('2026-11-01T00:00:00Z', '1.0', '0.1'), row('2026-11-02T00:00:00Z', '1.1', '0.1'), row('2026-11-03T00:00:00Z', '1.1', null, ['alpha', 'beta'])];
    expect(versionSteps(rows, true)).toEqual([
      { at: '2026-11-03T00:00:00Z', first: false, changes: [{ what: 'Plugin', from: '0.1', to: 'none' }, { what: 'Agents', from: 'alpha', to: 'alpha, beta' }] },
      { at: '2026-11-02T00:00:00Z', first: false, changes: [{ what: 'OpenClaw', from: '1.0', to: '1.1' }] },
      { at: '2026-11-01T00:00:00Z', first: true, changes: [{ what: 'OpenClaw', from: null, to: '1.0' }, { what: 'Plugin', from: null, to: '0.1' }, { what: 'Agents', from: null, to: 'alpha' }] },
    ]);
    // More rows exist than were asked for: the oldest only serves as the next one's "before".
    expect(versionSteps(rows, false).map((step) => step.at)).toEqual(['2026-11-03T00:00:00Z', '2026-11-02T00:00:00Z']);
    expect(versionSteps([], true)).toEqual([]);
  });
});
