import { builder } from '../builder.ts';

const Viewer = builder.objectRef<{ role: string; tokenName: string | null }>('Viewer').implement({
  description: 'Who the request is authenticated as; lets a client check a token at sign-in.',
  fields: (t) => ({
    role: t.exposeString('role', { description: '"admin", "read-only" or "anonymous".' }),
    tokenName: t.exposeString('tokenName', { nullable: true }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: Viewer,
    resolve: (_root, _args, { session }) =>
      session.kind === 'admin' ? { role: session.scope, tokenName: session.tokenName } : { role: 'anonymous', tokenName: null },
  }),
);
