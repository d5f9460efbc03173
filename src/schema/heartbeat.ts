import { builder } from '../builder.ts';
import { versionsAt } from '../services/history.ts';
import { loadAverage, parseAgents } from '../services/views.ts';
import { AgentRef } from './server.ts';

// Versions and agents are stored when they change (version_changes), not in every heartbeat row.
const VERSION_SELECT = { serverId: true, receivedAt: true, openclawVersion: true, pluginVersion: true, agents: true } as const;

builder.prismaObject('Heartbeat', {
  description: 'One accepted heartbeat, as received.',
  fields: (t) => ({
    receivedAt: t.expose('receivedAt', { type: 'DateTime', description: "The backend's clock at receipt." }),
    openclawVersion: t.string({ nullable: true, select: VERSION_SELECT, resolve: async (h, _a, ctx) => (await versionsAt(ctx.services, ctx, h)).openclawVersion }),
    pluginVersion: t.string({ nullable: true, select: VERSION_SELECT, resolve: async (h, _a, ctx) => (await versionsAt(ctx.services, ctx, h)).pluginVersion }),
    agents: t.field({ type: [AgentRef], select: VERSION_SELECT, resolve: async (h, _a, ctx) => parseAgents((await versionsAt(ctx.services, ctx, h)).agents) }),
    cpuPct: t.exposeFloat('cpuPct', { nullable: true }),
    memPct: t.exposeFloat('memPct', { nullable: true }),
    diskPct: t.exposeFloat('diskPct', { nullable: true }),
    swapPct: t.exposeFloat('swapPct', { nullable: true }),
    loadAvg: t.floatList({ nullable: true, resolve: (heartbeat) => loadAverage(heartbeat) }),
    uptimeSeconds: t.exposeFloat('uptimeSeconds', { nullable: true }),
  }),
});

builder.queryField('heartbeats', (t) =>
  t.prismaConnection({
    type: 'Heartbeat',
    cursor: 'id',
    authScopes: { reader: true },
    description: "A server's heartbeat history, newest first.",
    defaultSize: 50,
    maxSize: 1000,
    args: { serverId: t.arg.id({ required: true }) },
    resolve: (query, _root, { serverId }, { services }) =>
      services.db.prisma.heartbeat.findMany({ ...query, where: { serverId: String(serverId) }, orderBy: { id: 'desc' } }),
  }),
);
