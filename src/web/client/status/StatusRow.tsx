// One row of the status table, and its header. Every column is one entry of COLUMNS, so adding a
// column (or a mark in a cell) is one place; rows have a fixed height (see VirtualTable).
import type { ComponentChildren } from 'preact';
import { Ago, ServerNameCell, StatusPill, UptimeCell, UsageBar, Versions } from '../shared/components.tsx';
import { formatLoad, formatUptime } from '../shared/format.ts';
import type { WindowOrder } from '../shared/fleet-window.ts';
import { AlertMark } from './AlertMark.tsx';
import type { OverviewServer } from './overview.ts';

interface Column {
  label: string;
  className?: string;
  /** Header tooltip, where the label alone could be read two ways. */
  title?: string;
  /** The whole <td>: most columns use `cell()`, which wraps its content. */
  render(server: OverviewServer, uptime30d: number | null | undefined): ComponentChildren;
}

const cell = (className: string | undefined, content: ComponentChildren) => <td class={className}>{content}</td>;

function agentsText(server: OverviewServer) {
  const agents = server.agents.map((agent) => agent.name);
  if (agents.length === 0) return <span class="muted">none</span>;
  return (
    <span title={agents.join(', ')}>
      {agents.slice(0, 3).join(', ')}
      {agents.length > 3 ? <span class="muted"> +{agents.length - 3} more</span> : null}
    </span>
  );
}

export const COLUMNS: Column[] = [
  { label: 'Status', render: (s) => cell('nowrap', <><StatusPill status={s.status} /><AlertMark count={s.firingAlerts} /></>) },
  { label: 'Server', render: (s) => <ServerNameCell id={s.id} name={s.name} identifier={s.identifier} /> },
  { label: 'Last seen', render: (s) => cell('nowrap', <Ago iso={s.lastSeenAt} />) },
  { label: 'CPU', className: 'col-usage', render: (s) => cell('col-usage', <UsageBar value={s.cpuPct} />) },
  { label: 'Memory', className: 'col-usage', render: (s) => cell('col-usage', <UsageBar value={s.memPct} />) },
  { label: 'Disk', className: 'col-usage', render: (s) => cell('col-usage', <UsageBar value={s.diskPct} />) },
  { label: 'Swap', className: 'col-usage', render: (s) => cell('col-usage', <UsageBar value={s.swapPct} />) },
  { label: 'Load 1/5/15', className: 'num', render: (s) => cell('num nowrap', formatLoad(s.loadAvg)) },
  {
    label: 'Uptime 30 d',
    className: 'num',
    title: 'Share of the last 30 days the server was ONLINE or LATE (from its status changes)',
    render: (_s, ratio) => <UptimeCell ratio={ratio} />,
  },
  { label: 'Host uptime', className: 'num', title: 'Time since the host booted, as its last heartbeat reported', render: (s) => cell('num nowrap', formatUptime(s.uptimeSeconds)) },
  { label: 'Versions', render: (s) => cell('versions', <Versions openclaw={s.openclawVersion} plugin={s.pluginVersion} />) },
  { label: 'Agents', render: (s) => cell('agents', agentsText(s)) },
];

export function StatusRow({ server, index, uptime30d }: { server: OverviewServer; index: number; uptime30d: number | null | undefined }) {
  return (
    <tr class="vrow" data-identifier={server.identifier} data-status={server.status} aria-rowindex={index + 2}>
      {COLUMNS.map((column) => column.render(server, uptime30d))}
    </tr>
  );
}

const ARIA_SORT = { IDENTIFIER_ASC: 'ascending', IDENTIFIER_DESC: 'descending', PROBLEMS_FIRST: 'other' } as const;

/**
 * The header. The server pages in one of two orders, so two columns sort: Server (by identifier,
 * either way) and Status (problems first: offline, late, pending, then online).
 */
export function StatusHead({ order, onOrder }: { order: WindowOrder; onOrder(order: WindowOrder): void }) {
  const sorts: Record<string, { active: boolean; mark: string; next: WindowOrder; title: string }> = {
    Server: {
      active: order !== 'PROBLEMS_FIRST',
      mark: order === 'IDENTIFIER_DESC' ? '▼' : '▲',
      next: order === 'IDENTIFIER_ASC' ? 'IDENTIFIER_DESC' : 'IDENTIFIER_ASC',
      title: 'Sort by identifier',
    },
    Status: { active: order === 'PROBLEMS_FIRST', mark: '▲', next: 'PROBLEMS_FIRST', title: 'Problems first: offline, late, pending, then online' },
  };
  return (
    <tr>
      {COLUMNS.map((column) => {
        const sort = sorts[column.label];
        return sort ? (
          <th key={column.label} scope="col" aria-sort={sort.active ? ARIA_SORT[order] : undefined}>
            <button type="button" class="sort" title={sort.title} onClick={() => onOrder(sort.next)}>
              {column.label}
              <span class="sort-mark" aria-hidden="true">
                {sort.active ? sort.mark : ''}
              </span>
            </button>
          </th>
        ) : (
          <th key={column.label} scope="col" class={column.className} title={column.title}>
            {column.label}
          </th>
        );
      })}
    </tr>
  );
}
