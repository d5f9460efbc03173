import { builder } from '../builder.ts';
import { sizedByArgument } from '../operation-cost.ts';
import {
  countStatusChanges,
  fleetUptime,
  MAX_BATCH,
  recentStatusChanges,
  serversUptime,
  serverUptime,
  uptimeByDay,
  type StatusChangeView,
  type UptimeFigures,
} from '../services/uptime.ts';
import { ServerStatusEnum } from './server.ts';

type ServerUptime = UptimeFigures & { serverId: string };

const StatusChangeRef = builder.objectRef<StatusChangeView>('StatusChange').implement({
  description: 'One status transition of a server.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Grows with every transition recorded.' }),
    fromStatus: t.field({ type: ServerStatusEnum, nullable: true, description: 'null for the first row of a server.', resolve: (c) => c.fromStatus as any }),
    toStatus: t.field({ type: ServerStatusEnum, resolve: (c) => c.toStatus as any }),
    at: t.expose('at', { type: 'DateTime' }),
    cause: t.exposeString('cause', { description: 'HEARTBEAT | SILENCE | REGISTERED | THRESHOLDS_CHANGED | UPGRADE' }),
  }),
});

/** The figures every uptime object shares. */
function figureFields(t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<any>, UptimeFigures>) {
  return {
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime', description: 'The end of the range, or now if the range reaches into the future.' }),
    ratio: t.exposeFloat('ratio', { nullable: true, description: 'up / (up + down); null when no time counted (PENDING, not registered yet).' }),
    upSeconds: t.float({ description: 'Time ONLINE or LATE.', resolve: (u: UptimeFigures) => u.upMs / 1000 }),
    downSeconds: t.float({ description: 'Time OFFLINE.', resolve: (u: UptimeFigures) => u.downMs / 1000 }),
  };
}

const UptimeRef = builder.objectRef<ServerUptime>('Uptime').implement({
  description:
    "A server's uptime over a range, from its status transitions: ONLINE and LATE count as up, OFFLINE as down; PENDING, time before registration and the backend's own downtime count as neither.",
  fields: (t) => ({
    ...figureFields(t as any),
    serverId: t.exposeID('serverId'),
    excludedSeconds: t.float({ description: "Time not counted because the backend itself was down.", resolve: (u) => u.excludedMs / 1000 }),
    changeCount: t.int({
      authScopes: { reader: true },
      description: 'Status changes in the range.',
      resolve: (u, _args, { services }) => countStatusChanges(services, u.serverId, u.from, u.to),
    }),
    changes: t.field({
      type: [StatusChangeRef],
      authScopes: { reader: true },
      description: 'The newest status changes in the range, newest first (at most `first`).',
      args: { first: t.arg.int({ defaultValue: 100 }) },
      resolve: (u, { first }, { services }) => recentStatusChanges(services, u.serverId, u.from, u.to, first ?? 100),
    }),
  }),
});

const UptimeDayRef = builder.objectRef<UptimeFigures & { day: Date; servers?: number }>('UptimeDay').implement({
  description: 'Uptime over one UTC day.',
  fields: (t) => ({ ...figureFields(t as any), day: t.expose('day', { type: 'DateTime' }) }),
});

const FleetUptimeRef = builder.objectRef<Awaited<ReturnType<typeof fleetUptime>>>('FleetUptime').implement({
  description: "The whole fleet's availability over the whole UTC days of the range that have ended and been rolled up (from..to says which).",
  fields: (t) => ({
    ...figureFields(t as any),
    days: t.field({ type: [UptimeDayRef], resolve: (u) => u.days }),
  }),
});

builder.queryFields((t) => ({
  uptime: t.field({
    type: UptimeRef,
    authScopes: { overview: true },
    args: { serverId: t.arg.id({ required: true }), from: t.arg({ type: 'DateTime', required: true }), to: t.arg({ type: 'DateTime', required: true }) },
    resolve: (_root, args, { services }) => serverUptime(services, String(args.serverId), args.from, args.to),
  }),
  uptimes: t.field({
    type: [UptimeRef],
    authScopes: { overview: true },
    extensions: sizedByArgument('serverIds', { default: 1, max: MAX_BATCH }),
    description: 'The uptime of up to 200 servers at once (one page of a list), in the order asked; unknown ids are left out.',
    args: { serverIds: t.arg.idList({ required: true }), from: t.arg({ type: 'DateTime', required: true }), to: t.arg({ type: 'DateTime', required: true }) },
    resolve: (_root, args, { services }) => serversUptime(services, args.serverIds.map(String), args.from, args.to),
  }),
  uptimeDays: t.field({
    type: [UptimeDayRef],
    authScopes: { overview: true },
    extensions: sizedByArgument('days', { default: 90, max: 400 }),
    description: "A server's uptime per UTC day, oldest first, ending with today so far (the server page's bar).",
    args: { serverId: t.arg.id({ required: true }), days: t.arg.int({ defaultValue: 90 }) },
    resolve: (_root, args, { services }) => uptimeByDay(services, String(args.serverId), args.days ?? 90),
  }),
  fleetUptime: t.field({
    type: FleetUptimeRef,
    authScopes: { overview: true },
    args: { from: t.arg({ type: 'DateTime', required: true }), to: t.arg({ type: 'DateTime', required: true }) },
    resolve: (_root, args, { services }) => fleetUptime(services, args.from, args.to),
  }),
}));
