import { builder } from '../builder.ts';
import { FLEET_SIZED } from '../operation-cost.ts';
import type { ServerStatus } from '../services/status.ts';
import { subscriptionArgs } from './subscription-args.ts';
import { ServiceError } from '../services/errors.ts';
import type { FleetChangesEvent } from '../services/fleet-changes.ts';
import type { OverviewOrder } from '../services/fleet-index.ts';
import { MAX_PAGE_SIZE } from '../services/overview.ts';
import { filterArgs, OverviewOrderEnum, OverviewTotalsRef, toFilter } from './overview.ts';
import { OverviewServerRef } from './server.ts';

const MAX_WATCHED = 5_000;

const FleetChangesRef = builder.objectRef<FleetChangesEvent>('FleetChanges').implement({
  description:
    'One fleetChanges event. With `reset: false` apply it to what you hold: replace/insert the `changed` rows, drop the `removed` ids. ' +
    'With `reset: true` drop what you hold: `changed` is then the whole state for your `ids`/`identifiers` or your `first` rows (empty otherwise: query `overview` again).',
  fields: (t) => ({
    version: t.exposeString('version', { description: 'Resume from here with `fleetChanges(since:)` after a reconnect.' }),
    reset: t.exposeBoolean('reset'),
    generatedAt: t.expose('generatedAt', { type: 'DateTime' }),
    totals: t.expose('totals', { type: OverviewTotalsRef }),
    changed: t.expose('changed', { type: [OverviewServerRef], extensions: FLEET_SIZED, description: 'Servers (matching your arguments) whose visible fields changed, or that were added.' }),
    removed: t.exposeIDList('removed', { description: 'Servers deleted, or that no longer match your status/search.' }),
  }),
});

builder.subscriptionField('fleetChanges', (t) =>
  t.field({
    type: FleetChangesRef,
    authScopes: { overview: true },
    description:
      'Totals and only what changed: the first event carries the version and totals (a reset, unless `since` is a version this instance still remembers), ' +
      'later events what changed since the previous one, at most one per FLEET_CHANGES_INTERVAL_MS and at least one a second while the fleet changes. ' +
      'A subscriber too far behind (or whose connection stops draining for long) gets `reset: true` instead of a growing buffer.',
    args: {
      since: t.arg.string({ required: false, description: 'The version you hold (from `overview.version` or an earlier event).' }),
      ids: t.arg.idList({ required: false, description: 'Only these servers (e.g. the rows on screen).' }),
      identifiers: t.arg.stringList({ required: false, description: 'Only these identifiers.' }),
      first: t.arg.int({ required: false, description: 'Reset events carry the first rows of the filtered fleet, in `orderBy` order.' }),
      orderBy: t.arg({ type: OverviewOrderEnum, required: false, defaultValue: 'IDENTIFIER_ASC', description: 'The order of the rows a reset carries (with `first`).' }),
      ...filterArgs(t.arg),
    },
    subscribe: (_root, _jitArgs, context, info) => {
      const { overview, backlog } = context;
      const args = subscriptionArgs<{ since?: string | null; ids?: string[] | null; identifiers?: string[] | null; first?: number | null; orderBy?: OverviewOrder | null; status?: ServerStatus[] | null; search?: string | null; tags?: string[] | null }>(info);
      if ((args.ids?.length ?? 0) > MAX_WATCHED || (args.identifiers?.length ?? 0) > MAX_WATCHED) {
        throw new ServiceError('BAD_USER_INPUT', `ids: at most ${MAX_WATCHED} servers (identifiers likewise)`);
      }
      if (args.first != null && (args.first < 0 || args.first > MAX_PAGE_SIZE)) throw new ServiceError('BAD_USER_INPUT', `first: must be from 0 to ${MAX_PAGE_SIZE}`);
      const filter = {
        ...toFilter(args, context),
        ids: args.ids ? new Set<string>(args.ids.map(String)) : null,
        identifiers: args.identifiers ? new Set(args.identifiers.map(String)) : null,
      };
      return overview.changes({ filter, since: args.since, first: args.first, order: args.orderBy, backlog });
    },
    resolve: (event) => event,
  }),
);
