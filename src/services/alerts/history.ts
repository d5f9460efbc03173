// What alerting shows: current incidents (alert states that are not OK) and the history of
// transitions (alert_events), newest first, paged by id.
import type { Services } from '../context.ts';
import { ServiceError } from '../errors.ts';
import type { AlertEventType, AlertStateName } from './common.ts';

export interface AlertEventView {
  id: string;
  type: AlertEventType;
  ruleId: string;
  ruleName: string;
  serverId: string;
  serverIdentifier: string;
  at: Date;
  value: number | null;
  message: string;
  /** Recorded inside a silence: not sent. */
  silenced: boolean;
}

export interface AlertView {
  id: string;
  state: AlertStateName;
  since: Date;
  value: number | null;
  notified: boolean;
  lastNotifiedAt: Date | null;
  ruleId: string;
  ruleName: string;
  ruleKind: string;
  serverId: string;
  serverIdentifier: string;
  serverName: string;
}

type EventRow = Awaited<ReturnType<Services['db']['prisma']['alertEvent']['findUniqueOrThrow']>>;

export function toAlertEventView(row: EventRow): AlertEventView {
  return { ...row, id: String(row.id), type: row.type as AlertEventType };
}

/** Current incidents: FIRING and PENDING by default, oldest first. */
export async function listAlerts(services: Services, args: { states?: AlertStateName[] | null; serverId?: string | null; limit: number }): Promise<AlertView[]> {
  const rows = await services.db.prisma.alertState.findMany({
    where: { state: { in: args.states?.length ? args.states : ['FIRING', 'PENDING'] }, ...(args.serverId ? { serverId: args.serverId } : {}) },
    include: { rule: { select: { name: true, kind: true } }, server: { select: { identifier: true, name: true } } },
    orderBy: { since: 'asc' },
    take: args.limit,
  });
  return rows.map((row) => ({
    id: row.id,
    state: row.state as AlertStateName,
    since: row.since,
    value: row.value,
    notified: row.notified,
    lastNotifiedAt: row.lastNotifiedAt,
    ruleId: row.ruleId,
    ruleName: row.rule.name,
    ruleKind: row.rule.kind,
    serverId: row.serverId,
    serverIdentifier: row.server.identifier,
    serverName: row.server.name,
  }));
}

/** One page of history, newest first (`after` a cursor: older events; `before`: newer ones), optionally for one server or rule. */
export async function listAlertEvents(
  services: Services,
  args: { before?: string | null; after?: string | null; limit: number; inverted?: boolean; serverId?: string | null; ruleId?: string | null },
): Promise<AlertEventView[]> {
  const cursor = (value: string) => {
    if (!/^\d{1,19}$/.test(value)) throw new ServiceError('BAD_USER_INPUT', 'after/before: not a cursor of this connection');
    return BigInt(value);
  };
  const id = args.after ? { lt: cursor(args.after) } : args.before ? { gt: cursor(args.before) } : undefined;
  const rows = await services.db.prisma.alertEvent.findMany({
    where: { ...(id ? { id } : {}), ...(args.serverId ? { serverId: args.serverId } : {}), ...(args.ruleId ? { ruleId: args.ruleId } : {}) },
    orderBy: { id: args.inverted ? 'asc' : 'desc' },
    take: args.limit,
  });
  return rows.map(toAlertEventView);
}
