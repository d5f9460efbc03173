// The server page's version history: `versionChanges` rows (written on a server's first heartbeat
// and whenever its OpenClaw version, plugin version or agents change), newest first, each said
// as what changed from the row before it.
import { request } from '../shared/graphql.ts';

export interface VersionChange {
  at: string;
  openclawVersion: string | null;
  pluginVersion: string | null;
  agents: { name: string }[];
}

/** One line of the list: when, and what changed ("OpenClaw 2026.9.6 → 2026.11.2"). */
export interface VersionStep {
  at: string;
  changes: { what: 'OpenClaw' | 'Plugin' | 'Agents'; from: string | null; to: string }[];
  /** The oldest row shown, with nothing before it in the range: its values as first seen. */
  first: boolean;
}

export const VERSION_RANGE_MS = 365 * 86_400_000;
export const VERSION_STEPS = 50;

const VERSIONS_QUERY = `query ServerVersions($id: ID!, $from: DateTime!, $to: DateTime!, $limit: Int) {
  versionChanges(serverId: $id, from: $from, to: $to, limit: $limit) { at openclawVersion pluginVersion agents { name } }
}`;

const shown = (value: string | null) => value ?? 'none';
const agentList = (change: VersionChange) => (change.agents.length ? change.agents.map((a) => a.name).join(', ') : 'none');

/**
 * `rows` oldest first (as the query answers). Every row but the first is compared with the one
 * before it; the first is shown as first seen only when it is known to have no predecessor in
 * the range (fewer rows than asked for), otherwise it only serves as the second's "before".
 */
export function versionSteps(rows: readonly VersionChange[], complete: boolean): VersionStep[] {
  const steps: VersionStep[] = [];
  rows.forEach((row, i) => {
    const before = rows[i - 1];
    if (!before) {
      if (complete) {
        steps.push({
          at: row.at,
          first: true,
          changes: [
            { what: 'OpenClaw', from: null, to: shown(row.openclawVersion) },
            { what: 'Plugin', from: null, to: shown(row.pluginVersion) },
            { what: 'Agents', from: null, to: agentList(row) },
          ],
        });
      }
      return;
    }
    const changes: VersionStep['changes'] = [];
    if (before.openclawVersion !== row.openclawVersion) changes.push({ what: 'OpenClaw', from: shown(before.openclawVersion), to: shown(row.openclawVersion) });
    if (before.pluginVersion !== row.pluginVersion) changes.push({ what: 'Plugin', from: shown(before.pluginVersion), to: shown(row.pluginVersion) });
    if (agentList(before) !== agentList(row)) changes.push({ what: 'Agents', from: agentList(before), to: agentList(row) });
    if (changes.length) steps.push({ at: row.at, first: false, changes });
  });
  return steps.reverse();
}

/** The last year's changes, newest first (one more row than shown, for the oldest one's "before"). */
export async function loadVersionSteps(id: string, now: number, token: string | null): Promise<VersionStep[]> {
  const limit = VERSION_STEPS + 1;
  const data = await request<{ versionChanges: VersionChange[] }>(
    VERSIONS_QUERY,
    { id, from: new Date(now - VERSION_RANGE_MS).toISOString(), to: new Date(now + 60_000).toISOString(), limit },
    token,
  );
  return versionSteps(data.versionChanges, data.versionChanges.length < limit);
}
