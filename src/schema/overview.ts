import type { ArgBuilder } from '@pothos/core';
import { builder } from '../builder.ts';
import { FLEET_SIZED } from '../operation-cost.ts';
import type { OverviewFilter } from '../services/fleet-index.ts';
import { overviewTagFilter, overviewTagsVisible, type Overview } from '../services/overview.ts';
import type { Context } from '../builder.ts';
import { ServiceError } from '../services/errors.ts';
import { deferRows } from '../overview-rows-stream.ts';
import { OverviewServerRef, ServerStatusEnum } from './server.ts';

export const OverviewTotalsRef = builder.objectRef<Overview['totals']>('OverviewTotals').implement({
  description: 'Servers per status, always for the whole fleet (whatever the page or filter).',
  fields: (t) => ({
    servers: t.exposeInt('servers'),
    online: t.exposeInt('online'),
    late: t.exposeInt('late'),
    offline: t.exposeInt('offline'),
    pending: t.exposeInt('pending'),
  }),
});

const OverviewPageInfo = builder.objectRef<Overview['pageInfo']>('OverviewPageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass as `after` for the next page (the last row’s identifier; with PROBLEMS_FIRST its status and identifier).' }),
  }),
});

const OverviewRef = builder.objectRef<Overview>('Overview').implement({
  description: 'The fleet at a glance: totals for the whole fleet, and the servers of the requested page (all of them without paging arguments).',
  fields: (t) => ({
    generatedAt: t.expose('generatedAt', { type: 'DateTime' }),
    version: t.exposeString('version', { description: 'Pass as `fleetChanges(since:)` to receive what changed after this overview.' }),
    totals: t.expose('totals', { type: OverviewTotalsRef }),
    servers: t.field({
      type: [OverviewServerRef],
      extensions: FLEET_SIZED,
      // A large page over HTTP is written as JSON straight from the fleet index (src/overview-rows-stream.ts).
      resolve: (overview, _args, context, info) => {
        const tagsVisible = overviewTagsVisible(context.session, context.config.publicOverviewTags);
        const tagsOf = (entry: { id: string }) => (tagsVisible ? context.services.tags.get(entry.id) : null);
        return deferRows(context.request, info, overview.page, tagsOf) ? [] : overview.servers;
      },
    }),
    pageInfo: t.expose('pageInfo', { type: OverviewPageInfo }),
    matching: t.int({ description: 'Servers matching status/search/tags on all pages.', resolve: (overview) => overview.matching() }),
  }),
});

export const OverviewOrderEnum = builder.enumType('OverviewOrder', {
  values: {
    IDENTIFIER_ASC: {},
    IDENTIFIER_DESC: {},
    PROBLEMS_FIRST: { description: 'OFFLINE, then LATE, PENDING and ONLINE servers, each by identifier (statuses as of the request).' },
  } as const,
});

const MAX_SEARCH = 200;

/** The filter arguments `overview` and `fleetChanges` share. */
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
export function filterArgs(arg: ArgBuilder<Types>) {
  return {
    status: arg({ type: [ServerStatusEnum], required: false, description: 'Only servers in one of these statuses (a single value is accepted too).' }),
    search: arg.string({ required: false, description: 'Case-insensitive substring of the identifier or the name.' }),
    tags: arg.stringList({
      required: false,
      description: 'Only servers carrying every one of these tags (as `servers(tags:)`). Needs a token unless PUBLIC_OVERVIEW_TAGS=true.',
    }),
  };
}

export function toFilter(args: { status?: readonly string[] | null; search?: string | null; tags?: readonly string[] | null }, context: Pick<Context, 'session' | 'config'>): OverviewFilter {
  if (args.search && args.search.length > MAX_SEARCH) throw new ServiceError('BAD_USER_INPUT', `search: must be at most ${MAX_SEARCH} characters`);
  const tags = overviewTagFilter(args.tags, overviewTagsVisible(context.session, context.config.publicOverviewTags));
  return { status: args.status as OverviewFilter['status'], search: args.search, tags };
}

builder.queryField('overview', (t) =>
  t.field({
    type: OverviewRef,
    authScopes: { overview: true },
    description:
      'Totals for the whole fleet and its servers ordered by identifier (or `orderBy: PROBLEMS_FIRST`). Without arguments every server (compatibility); ' +
      'with `first` a page (next pages with `after: pageInfo.endCursor`, or `offset` to jump), narrowed by `status`, `search` and `tags`.',
    args: {
      first: t.arg.int({ required: false, description: 'Page size (0–10000).' }),
      after: t.arg.string({ required: false, description: 'Cursor: rows after this identifier (in the chosen order).' }),
      offset: t.arg.int({ required: false, description: 'Skip this many matching rows (after `after`), e.g. to jump in a virtualized list.' }),
      orderBy: t.arg({ type: OverviewOrderEnum, required: false, defaultValue: 'IDENTIFIER_ASC' }),
      ...filterArgs(t.arg),
    },
    resolve: (_root, args, context) =>
      context.overview.query({ first: args.first, after: args.after, offset: args.offset, order: args.orderBy, filter: toFilter(args, context) }),
  }),
);

builder.subscriptionField('overviewUpdated', (t) =>
  t.field({
    type: OverviewRef,
    authScopes: { overview: true },
    description:
      'The whole overview at once, then again after changes (coalesced: at most one per 250 ms). Costs the whole fleet per push: ' +
      'for large fleets use `fleetChanges`.',
    subscribe: (_root, _args, { overview }) => overview.subscribe(),
    resolve: (overview, _args, { services }) => {
      services.metrics.overviewPushes.inc();
      return overview;
    },
  }),
);
