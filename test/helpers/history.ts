// Brute-force aggregates of heartbeats a test sent, and the check that every rollup tier holds
// exactly them (test/history/rollup.test.ts, test/history/upgrade.test.ts).
import { expect } from 'vitest';
import { METRICS, TIERS } from '../../src/db/history.ts';
import type { TestServer } from './server.ts';

export interface Sent {
  serverId: string;
  at: number;
  values: Record<string, number | null>;
}

/** A deterministic pseudo-random sequence (tests must not depend on Math.random). */
export function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** One value per metric, 10 % of them missing, two decimals. */
export function values(next: () => number): Record<string, number | null> {
  const row: Record<string, number | null> = {};
  for (const m of METRICS) row[m] = next() < 0.1 ? null : Math.round(next() * 10_000) / 100;
  return row;
}

/** Brute force: count/sum/min/max per (server, bucket of `width` ms). */
export function bruteForce(sent: Sent[], width: number) {
  const buckets = new Map<string, Record<string, { count: number; sum: number; min: number; max: number }>>();
  for (const row of sent) {
    const key = `${row.serverId}|${Math.floor(row.at / width) * width}`;
    const bucket = buckets.get(key) ?? Object.fromEntries(METRICS.map((m) => [m, { count: 0, sum: 0, min: Infinity, max: -Infinity }]));
    for (const m of METRICS) {
      const value = row.values[m];
      if (value == null) continue;
      const agg = bucket[m]!;
      agg.count++;
      agg.sum += value;
      agg.min = Math.min(agg.min, value);
      agg.max = Math.max(agg.max, value);
    }
    buckets.set(key, bucket);
  }
  return buckets;
}

async function storedTier(server: TestServer, tier: number) {
  const rows = (await server.app.services.db.prisma.metricRollup.findMany({ where: { tier } })) as Record<string, any>[];
  return new Map(rows.map((row) => [`${row.serverId}|${new Date(row.bucketStart).getTime()}`, row]));
}

/** Every bucket of every tier equals brute force over `sent`, and no other bucket exists. */
export async function expectTiersMatch(server: TestServer, sent: Sent[]) {
  for (const tier of TIERS) {
    const expected = bruteForce(sent, tier * 1000);
    const stored = await storedTier(server, tier);
    expect([...stored.keys()].sort(), `tier ${tier} buckets`).toEqual([...expected.keys()].sort());
    for (const [key, bucket] of expected) {
      const row = stored.get(key)!;
      for (const m of METRICS) {
        const agg = bucket[m]!;
        expect(row[`${m}Count`], `${key} ${m} count`).toBe(agg.count);
        if (agg.count === 0) {
          expect(row[`${m}Sum`]).toBeNull();
          continue;
        }
        expect(row[`${m}Sum`], `${key} ${m} sum`).toBeCloseTo(agg.sum, 6);
        expect(row[`${m}Min`], `${key} ${m} min`).toBe(agg.min);
        expect(row[`${m}Max`], `${key} ${m} max`).toBe(agg.max);
      }
    }
  }
}
