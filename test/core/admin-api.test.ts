// The GraphQL admin API on both databases: every mutation's success, each failure code, and
// refusal without a token and with a read-only token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { freshPostgresSchema, postgresAvailable } from '../helpers/services.ts';
import { seedHeartbeat, startTestServer, uniqueIdentifier, type TestServer } from '../helpers/server.ts';

const SERVER_FIELDS = 'id identifier name status lastSeenAt createdAt intervalSeconds graceSeconds apiKey { prefix active createdAt lastUsedAt revokedAt }';
const hasPostgres = await postgresAvailable();

for (const provider of ['sqlite', 'postgres'] as const) {
  describe.skipIf(provider === 'postgres' && !hasPostgres)(`admin GraphQL API on ${provider}`, () => {
    let server: TestServer;
    let readOnlyToken: string;
    let dropSchema: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (provider === 'postgres') {
        const schema = await freshPostgresSchema('admin');
        databaseUrl = schema.url;
        dropSchema = schema.drop;
      }
      server = await startTestServer({ databaseUrl });
      expect(server.app.services.db.provider).toBe(provider);
      readOnlyToken = (await createAdminToken(server.app.services.db.prisma, { name: 'viewer', scope: 'read-only' })).token;
    });
    afterAll(async () => {
      await server?.stop();
      await dropSchema?.();
    });

    it('adds a server with defaults, and refuses a duplicate identifier with CONFLICT', async () => {
      const identifier = uniqueIdentifier('web');
      const added = await server.gql(`mutation ($i: AddServerInput!) { addServer(input: $i) { server { ${SERVER_FIELDS} } } }`, { i: { identifier } });
      expect(added.errors).toBeUndefined();
      expect(added.data.addServer.server).toMatchObject({ identifier, name: identifier, status: 'PENDING', lastSeenAt: null, intervalSeconds: 30, graceSeconds: 60, apiKey: null });

      const again = await server.gql(`mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: { identifier, name: 'Other' } });
      expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(again.errors?.[0]?.message).toContain(identifier);
    });

    it('refuses bad input with BAD_USER_INPUT naming the field, and stores nothing', async () => {
      const cases = [
        [{ identifier: '' }, 'identifier'],
        [{ identifier: 'has space' }, 'identifier'],
        [{ identifier: uniqueIdentifier(), intervalSeconds: 1 }, 'intervalSeconds'],
        [{ identifier: uniqueIdentifier(), graceSeconds: -5 }, 'graceSeconds'],
        [{ identifier: uniqueIdentifier(), name: 'x'.repeat(201) }, 'name'],
      ] as const;
      const before = await server.app.services.db.prisma.monitoredServer.count();
      for (const [input, field] of cases) {
        const result = await server.gql(`mutation ($i: AddServerInput!) { addServer(input: $i) { server { id } } }`, { i: input });
        expect(result.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.message).toMatch(new RegExp(`^${field}:`));
      }
      expect(await server.app.services.db.prisma.monitoredServer.count()).toBe(before);
    });

    it('generates a key once, replaces the previous key, and never returns it again', async () => {
      const { id } = await server.createServer();
      const first = await server.gql(`mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey prefix server { apiKey { prefix active } } } }`, { id });
      const key1 = first.data.generateApiKey.apiKey as string;
      expect(key1).toMatch(/^hfm_[A-Za-z0-9_-]{43}$/);
      expect(first.data.generateApiKey.server.apiKey).toEqual({ prefix: key1.slice(0, 12), active: true });

      const second = await server.gql(`mutation ($id: ID!) { generateApiKey(serverId: $id) { apiKey } }`, { id });
      const key2 = second.data.generateApiKey.apiKey as string;
      expect(key2).not.toBe(key1);

      const identifier = (await server.gql(`query ($id: ID!) { server(id: $id) { identifier } }`, { id })).data.server.identifier;
      expect((await server.heartbeat(key1, seedHeartbeat(identifier))).status).toBe(401);
      expect((await server.heartbeat(key2, seedHeartbeat(identifier))).status).toBe(200);

      // Only hashes are stored, and no query can return the key.
      const rows = await server.app.services.db.prisma.apiKey.findMany({ where: { serverId: id } });
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(key2);
      const listed = await server.gql(`{ servers(first: 500) { edges { node { ${SERVER_FIELDS} } } } }`);
      expect(JSON.stringify(listed)).not.toContain(key2.slice(12));
    });

    it('revokes a key (refused at once) and reports NOT_FOUND when there is none', async () => {
      const { id, identifier } = await server.createServer();
      const key = await server.issueKey(id);
      const revoked = await server.gql(`mutation ($id: ID!) { revokeApiKey(serverId: $id) { server { apiKey { active revokedAt } } } }`, { id });
      expect(revoked.data.revokeApiKey.server.apiKey.active).toBe(false);
      expect(revoked.data.revokeApiKey.server.apiKey.revokedAt).toBeTruthy();
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(401);
      const again = await server.gql(`mutation ($id: ID!) { revokeApiKey(serverId: $id) { server { id } } }`, { id });
      expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('answers NOT_FOUND for unknown ids on every mutation and null for server(id)', async () => {
      for (const mutation of [
        'mutation { deleteServer(id: "nope") { deletedServerId } }',
        'mutation { generateApiKey(serverId: "nope") { apiKey } }',
        'mutation { revokeApiKey(serverId: "nope") { server { id } } }',
        'mutation { updateServer(input: { id: "nope", name: "x" }) { server { id } } }',
      ]) {
        const result = await server.gql(mutation);
        expect(result.errors?.[0]?.extensions?.code, mutation).toBe('NOT_FOUND');
      }
      expect((await server.gql('{ server(id: "nope") { id } }')).data.server).toBeNull();
    });

    it('deletes a server with its key, state and history in one step', async () => {
      const { id, identifier } = await server.createServer();
      const key = await server.issueKey(id);
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(200);
      const { prisma } = server.app.services.db;
      expect(await prisma.heartbeat.count({ where: { serverId: id } })).toBe(2);

      const deleted = await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id });
      expect(deleted.data.deleteServer.deletedServerId).toBe(id);
      expect(await prisma.heartbeat.count({ where: { serverId: id } })).toBe(0);
      expect(await prisma.apiKey.count({ where: { serverId: id } })).toBe(0);
      expect(await prisma.serverState.count({ where: { serverId: id } })).toBe(0);
      expect((await server.heartbeat(key, seedHeartbeat(identifier))).status).toBe(401);
      expect((await server.gql(`mutation ($id: ID!) { deleteServer(id: $id) { deletedServerId } }`, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('updates interval and grace', async () => {
      const { id } = await server.createServer();
      const updated = await server.gql(`mutation ($id: ID!) { updateServer(input: { id: $id, name: "Renamed", intervalSeconds: 10, graceSeconds: 5 }) { server { name intervalSeconds graceSeconds } } }`, { id });
      expect(updated.data.updateServer.server).toEqual({ name: 'Renamed', intervalSeconds: 10, graceSeconds: 5 });
    });

    it('pages, filters by status and searches the servers connection', async () => {
      const stem = uniqueIdentifier('page');
      const ids = [];
      for (const n of [1, 2, 3]) ids.push(await server.createServer(`${stem}-${n}`));
      const key = await server.issueKey(ids[0]!.id);
      await server.heartbeat(key, seedHeartbeat(ids[0]!.identifier));

      const page1 = await server.gql(`{ servers(first: 2, search: "${stem.toUpperCase()}") { totalCount edges { node { identifier } } pageInfo { hasNextPage endCursor } } }`);
      expect(page1.data.servers.totalCount).toBe(3);
      expect(page1.data.servers.edges.map((e: any) => e.node.identifier)).toEqual([`${stem}-1`, `${stem}-2`]);
      expect(page1.data.servers.pageInfo.hasNextPage).toBe(true);
      const page2 = await server.gql(`query ($after: String) { servers(first: 2, after: $after, search: "${stem}") { edges { node { identifier } } pageInfo { hasNextPage } } }`, {
        after: page1.data.servers.pageInfo.endCursor,
      });
      expect(page2.data.servers.edges.map((e: any) => e.node.identifier)).toEqual([`${stem}-3`]);
      expect(page2.data.servers.pageInfo.hasNextPage).toBe(false);

      const online = await server.gql(`{ servers(first: 10, status: ONLINE, search: "${stem}") { totalCount edges { node { identifier status } } } }`);
      expect(online.data.servers).toEqual({ totalCount: 1, edges: [{ node: { identifier: `${stem}-1`, status: 'ONLINE' } }] });
      const pending = await server.gql(`{ servers(first: 10, status: PENDING, search: "${stem}") { totalCount } }`);
      expect(pending.data.servers.totalCount).toBe(2);
    });

    it('refuses every admin operation without a token (UNAUTHENTICATED) and mutations with a read-only token (FORBIDDEN)', async () => {
      const { id } = await server.createServer();
      const mutations = [
        `mutation { addServer(input: { identifier: "${uniqueIdentifier()}" }) { server { id } } }`,
        `mutation { deleteServer(id: "${id}") { deletedServerId } }`,
        `mutation { generateApiKey(serverId: "${id}") { apiKey } }`,
        `mutation { revokeApiKey(serverId: "${id}") { server { id } } }`,
        `mutation { updateServer(input: { id: "${id}", name: "x" }) { server { id } } }`,
      ];
      for (const mutation of mutations) {
        expect((await server.gql(mutation, {}, null)).errors?.[0]?.extensions?.code, mutation).toBe('UNAUTHENTICATED');
        expect((await server.gql(mutation, {}, readOnlyToken)).errors?.[0]?.extensions?.code, mutation).toBe('FORBIDDEN');
      }
      for (const query of ['{ servers { totalCount } }', `{ server(id: "${id}") { id } }`]) {
        expect((await server.gql(query, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect((await server.gql(query, {}, readOnlyToken)).errors).toBeUndefined();
      }
      // The server still exists and still has no key: nothing was done by the refused calls.
      expect((await server.gql(`{ server(id: "${id}") { apiKey { prefix } } }`)).data.server.apiKey).toBeNull();
      expect((await server.gql('{ viewer { role } }', {}, readOnlyToken)).data.viewer.role).toBe('read-only');
      expect((await server.gql('{ viewer { role } }', {}, null)).data.viewer.role).toBe('anonymous');
    });

    it('refuses an unknown bearer token with UNAUTHENTICATED, also on public fields', async () => {
      const result = await server.gql('{ overview { totals { servers } } }', {}, 'not-a-real-token');
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await server.gql('{ overview { totals { servers } } }', {}, null)).data.overview.totals.servers).toBeGreaterThan(0);
    });

    it('reports an invalid operation as such', async () => {
      const result = await server.gql('{ nope }');
      expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
  });
}

describe('unexpected failures', () => {
  it('are masked for the client as "Unexpected error." (no SQL, no stack)', async () => {
    const server = await startTestServer();
    try {
      // Break the database behind the server's back: every server query now fails inside Prisma.
      await server.app.services.db.prisma.$executeRawUnsafe('DROP TABLE api_keys');
      const result = await server.gql('{ servers { totalCount edges { node { id apiKey { prefix } } } } }');
      expect(result.errors?.[0]?.message).toBe('Unexpected error.');
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(result)).not.toMatch(/api_keys|sqlite|prisma/i);
      const rest = await server.rest('GET', '/monitor/admin/servers');
      expect(rest).toEqual({ status: 500, body: { error: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' } });
    } finally {
      await server.stop();
    }
  });
});
