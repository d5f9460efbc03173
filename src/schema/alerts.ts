import { resolveCursorConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.ts';
import { ALERT_EVENT_TYPES, ALERT_STATES } from '../services/alerts/common.ts';
import { listAlertEvents, listAlerts, type AlertEventView, type AlertView } from '../services/alerts/history.ts';

const AlertStateEnum = builder.enumType('AlertState', { values: ALERT_STATES, description: 'OK -> PENDING (forSeconds running) -> FIRING -> OK.' });
const AlertEventTypeEnum = builder.enumType('AlertEventType', { values: ALERT_EVENT_TYPES });

const AlertRef = builder.objectRef<AlertView>('Alert').implement({
  description: 'A rule that is PENDING or FIRING on a server (a current incident).',
  fields: (t) => ({
    id: t.exposeID('id'),
    state: t.expose('state', { type: AlertStateEnum }),
    since: t.expose('since', { type: 'DateTime' }),
    value: t.exposeFloat('value', { nullable: true }),
    notified: t.exposeBoolean('notified', { description: 'False while a silence holds the FIRING notification back.' }),
    lastNotifiedAt: t.expose('lastNotifiedAt', { type: 'DateTime', nullable: true }),
    ruleId: t.exposeID('ruleId'),
    ruleName: t.exposeString('ruleName'),
    ruleKind: t.exposeString('ruleKind'),
    serverId: t.exposeID('serverId'),
    serverIdentifier: t.exposeString('serverIdentifier'),
    serverName: t.exposeString('serverName'),
  }),
});

export const AlertEventRef = builder.objectRef<AlertEventView>('AlertEvent').implement({
  description: 'One alert transition, notified or held back by a silence.',
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.expose('type', { type: AlertEventTypeEnum }),
    ruleId: t.exposeID('ruleId'),
    ruleName: t.exposeString('ruleName'),
    serverId: t.exposeID('serverId'),
    serverIdentifier: t.exposeString('serverIdentifier'),
    at: t.expose('at', { type: 'DateTime' }),
    value: t.exposeFloat('value', { nullable: true }),
    message: t.exposeString('message'),
    silenced: t.exposeBoolean('silenced'),
  }),
});

builder.queryFields((t) => ({
  alerts: t.field({
    type: [AlertRef],
    authScopes: { reader: true },
    description: 'Current incidents: FIRING and PENDING alerts (or those of one state), oldest first.',
    args: {
      state: t.arg({ type: AlertStateEnum }),
      serverId: t.arg.id(),
      first: t.arg.int({ description: 'At most this many (default 500, max 5000).' }),
    },
    resolve: (_root, args, { services }) =>
      listAlerts(services, {
        states: args.state ? [args.state] : null,
        serverId: args.serverId == null ? null : String(args.serverId),
        limit: Math.min(Math.max(args.first ?? 500, 1), 5000),
      }),
  }),
  alertHistory: t.connection({
    type: AlertEventRef,
    authScopes: { reader: true },
    description: 'Alert transitions, newest first.',
    args: { serverId: t.arg.id(), ruleId: t.arg.id() },
    resolve: (_root, args, { services }) =>
      resolveCursorConnection<Promise<AlertEventView[]>>(
        { args, toCursor: (event) => (event as AlertEventView).id, defaultSize: 50, maxSize: 500 },
        (page) =>
          listAlertEvents(services, {
            after: page.after,
            before: page.before,
            limit: page.limit,
            inverted: page.inverted,
            serverId: args.serverId == null ? null : String(args.serverId),
            ruleId: args.ruleId == null ? null : String(args.ruleId),
          }),
      ) as Promise<any>,
  }),
}));

builder.subscriptionField('alertEvents', (t) =>
  t.field({
    type: AlertEventRef,
    authScopes: { reader: true },
    description: 'Every alert transition as it happens (from any instance).',
    subscribe: (_root, _args, { services }) => services.pubsub.subscribe('alert:event'),
    resolve: (event) => event,
  }),
);
