// The SchemaBuilder, its plugins and the Context type — nothing else (STYLE.md).
//
// Server, Overview and FleetEvent are plain object types over snapshots (src/services/views.ts),
// not prismaObjects: subscription events carry whole snapshots, and plugin-prisma resolves the
// relation fields of a parent it did not load itself with a `loadSelection` query per field (see
// wrapResolve in its esm/index.js) — one query per subscriber per heartbeat. plugin-prisma serves
// the model-shaped reads: heartbeat history (src/schema/heartbeat.ts).
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type PrismaTypes from './generated/pothos-types.ts';
import { getDatamodel } from './generated/pothos-types.ts';
import type { Config } from './config.ts';
import type { Services } from './services/context.ts';
import type { Session } from './services/admin-tokens.ts';
import type { HeartbeatIngestor } from './services/heartbeats.ts';
import type { OverviewFeed } from './services/overview.ts';

export interface Context {
  services: Services;
  session: Session;
  overview: OverviewFeed;
  ingestor: HeartbeatIngestor;
  config: Pick<Config, 'publicOverview'> & Partial<Pick<Config, 'publicOverviewTags' | 'alertSendTimeoutMs' | 'telegramApiBase' | 'smtp'>>;
  /** Unsent bytes on this subscriber's connection (graphql-ws or SSE), for backpressure. */
  backlog?: () => number;
  /** The HTTP request (Yoga's initial context); absent on graphql-ws. */
  request?: Request;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** Anyone, unless PUBLIC_OVERVIEW=false; then any admin token. */
    overview: boolean;
    /** Any valid admin token, including read-only ones. */
    reader: boolean;
    /** An admin token with scope `admin`. */
    admin: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  prisma: {
    client: (context) => context.services.db.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
  },
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      overview: context.config.publicOverview || context.session.kind === 'admin',
      reader: context.session.kind === 'admin',
      admin: context.session.kind === 'admin' && context.session.scope === 'admin',
    }),
    unauthorizedError: (_parent, context) =>
      context.session.kind === 'anonymous'
        ? new GraphQLError('Authentication required: send "Authorization: Bearer <admin token>"', { extensions: { code: 'UNAUTHENTICATED' } })
        : new GraphQLError('This token is read-only: an admin-scope token is required', { extensions: { code: 'FORBIDDEN' } }),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
