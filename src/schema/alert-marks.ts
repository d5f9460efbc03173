// `firingAlerts` on the overview's rows (the status page's firing mark) and on Server: read from
// the in-memory FiringIndex, so a page of rows costs no query.
import { builder } from '../builder.ts';
import { OverviewServerRef, ServerRef } from './server.ts';

for (const ref of [OverviewServerRef, ServerRef]) {
  builder.objectField(ref, 'firingAlerts', (t) =>
    t.int({
      description: 'Alerts FIRING on this server now (0 when none).',
      resolve: (server, _args, { services }) => services.firing.count(server.id),
    }),
  );
}
