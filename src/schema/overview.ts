import { builder } from '../builder.ts';
import type { Overview } from '../services/overview.ts';
import { OverviewServerRef } from './server.ts';

const OverviewTotals = builder.objectRef<Overview['totals']>('OverviewTotals').implement({
  fields: (t) => ({
    servers: t.exposeInt('servers'),
    online: t.exposeInt('online'),
    late: t.exposeInt('late'),
    offline: t.exposeInt('offline'),
    pending: t.exposeInt('pending'),
  }),
});

const OverviewRef = builder.objectRef<Overview>('Overview').implement({
  description: 'The whole fleet at a glance.',
  fields: (t) => ({
    generatedAt: t.expose('generatedAt', { type: 'DateTime' }),
    totals: t.expose('totals', { type: OverviewTotals }),
    servers: t.expose('servers', { type: [OverviewServerRef] }),
  }),
});

builder.queryField('overview', (t) =>
  t.field({
    type: OverviewRef,
    authScopes: { overview: true },
    resolve: (_root, _args, { overview }) => overview.current(),
  }),
);

builder.subscriptionField('overviewUpdated', (t) =>
  t.field({
    type: OverviewRef,
    authScopes: { overview: true },
    description: 'The current overview at once, then again after changes (coalesced: at most one per 250 ms).',
    subscribe: (_root, _args, { overview }) => overview.subscribe(),
    resolve: (overview, _args, { services }) => {
      services.metrics.overviewPushes.inc();
      return overview;
    },
  }),
);
