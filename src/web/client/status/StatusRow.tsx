// One row of the status table, and its header. Every column is one entry of COLUMNS, so adding a
// column (or a mark in a cell) is one place; rows have a fixed height (see VirtualTable).
import type { ComponentChildren } from 'preact';
import { Ago, ServerNameCell, StatusPill, UsageBar, Versions } from '../shared/components.tsx';
import { formatLoad, formatUptime } from '../shared/format.ts';
import { AlertMark } from './AlertMark.tsx';
import type { OverviewServer } from './overview.ts';

interface Column {
  label: string;
  className?: string;
  /** The whole <td>: most columns use `cell()`, which wraps its content. */
  render(server: OverviewServer): ComponentChildren;
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
  { label: 'Uptime', className: 'num', render: (s) => cell('num nowrap', formatUptime(s.uptimeSeconds)) },
  { label: 'Versions', render: (s) => cell('versions', <Versions openclaw={s.openclawVersion} plugin={s.pluginVersion} />) },
  { label: 'Agents', render: (s) => cell('agents', agentsText(s)) },
];

export function StatusRow({ server, index }: { server: OverviewServer; index: number }) {
  return (
    <tr class="vrow" data-identifier={server.identifier} data-status={server.status} aria-rowindex={index + 2}>
      {COLUMNS.map((column) => column.render(server))}
    </tr>
  );
}

/** The header; the Server column sorts by identifier (the order the server pages in). */
export function StatusHead({ descending, onOrder }: { descending: boolean; onOrder(descending: boolean): void }) {
  return (
    <tr>
      {COLUMNS.map((column) =>
        column.label === 'Server' ? (
          <th key={column.label} scope="col" aria-sort={descending ? 'descending' : 'ascending'}>
            <button type="button" class="sort" onClick={() => onOrder(!descending)}>
              {column.label}
              <span class="sort-mark" aria-hidden="true">
                {descending ? '▼' : '▲'}
              </span>
            </button>
          </th>
        ) : (
          <th key={column.label} scope="col" class={column.className}>
            {column.label}
          </th>
        ),
      )}
    </tr>
  );
}
