import { builder } from '../builder.ts';
import { FLEET_EVENT_TYPES, type FleetEvent } from '../services/events.ts';
import { ServerStatusEnum } from './server.ts';

const FleetEventType = builder.enumType('FleetEventType', { values: FLEET_EVENT_TYPES });

const FleetEventRef = builder.objectRef<FleetEvent>('FleetEvent').implement({
  description: 'A discrete change in the fleet.',
  fields: (t) => ({
    type: t.expose('type', { type: FleetEventType }),
    serverId: t.exposeID('serverId'),
    identifier: t.exposeString('identifier'),
    at: t.expose('at', { type: 'DateTime' }),
    status: t.expose('status', { type: ServerStatusEnum, nullable: true }),
    previousStatus: t.expose('previousStatus', { type: ServerStatusEnum, nullable: true }),
  }),
});

builder.subscriptionField('fleetEvents', (t) =>
  t.field({
    type: FleetEventRef,
    authScopes: { reader: true },
    subscribe: (_root, _args, { services }) => services.pubsub.subscribe('fleet:event'),
    resolve: (event) => event,
  }),
);
