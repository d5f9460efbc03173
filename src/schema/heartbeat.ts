import { builder } from '../builder.ts';
import { loadAverage, parseAgents } from '../services/views.ts';
import { AgentRef } from './server.ts';

builder.prismaObject('Heartbeat', {
  description: 'One accepted heartbeat, as received.',
  fields: (t) => ({
    receivedAt: t.expose('receivedAt', { type: 'DateTime', description: "The backend's clock at receipt." }),
    openclawVersion: t.exposeString('openclawVersion', { nullable: true }),
    pluginVersion: t.exposeString('pluginVersion', { nullable: true }),
    agents: t.field({ type: [AgentRef], resolve: (heartbeat) => parseAgents(heartbeat.agents) }),
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
