// GET /monitor/openapi.json: a valid OpenAPI 3.1 document (checked by a real OpenAPI validator),
// and every REST endpoint's real answers — successes and errors — match the schema it declares
// for that status (ajv, JSON Schema 2020-12).
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHeartbeat, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let document: any;
const checked = new Set<string>();

beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/monitor/openapi.json`);
  expect(response.status).toBe(200);
  document = await response.json();
});
afterAll(async () => {
  await server?.stop();
});

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
(addFormats as unknown as typeof addFormats.default)(ajv);

/** Asserts that `reply` (status + JSON body) is what the document declares for `method template`. */
function conforms(method: string, template: string, reply: { status: number; body: unknown }) {
  const operation = document.paths[template]?.[method.toLowerCase()];
  expect(operation, `${method} ${template} is not in the document`).toBeDefined();
  const declared = operation.responses[String(reply.status)];
  expect(declared, `${method} ${template} answered ${reply.status}, which the document does not declare: ${JSON.stringify(reply.body).slice(0, 300)}`).toBeDefined();
  const schema = declared.content?.['application/json']?.schema;
  expect(schema, `${method} ${template} ${reply.status} has no JSON schema`).toBeDefined();
  const validate = ajv.compile(schema);
  expect(validate(reply.body), `${method} ${template} ${reply.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(reply.body).slice(0, 500)}`).toBe(true);
  checked.add(`${method.toLowerCase()} ${template}`);
}

describe('GET /monitor/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it("documents the heartbeat body with the same constraints as the zod schema that validates it", () => {
    const schema = document.paths['/monitor/server/heartbeat-v2'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['identifier']);
    expect(schema.properties.cpu_pct.anyOf[0]).toMatchObject({ type: 'number', minimum: 0, maximum: 100 });
  });

  it("every endpoint's real answers match the document", async () => {
    const { rest } = server;
    conforms('GET', '/monitor/openapi.json', { status: 200, body: document });
    conforms('GET', '/healthz', await rest('GET', '/healthz'));
    conforms('GET', '/readyz', await rest('GET', '/readyz'));

    const added = await rest('POST', '/monitor/admin/servers', { body: { identifier: `oa-${Date.now()}`, name: 'OpenAPI', interval_seconds: 30, tags: ['edge'] } });
    conforms('POST', '/monitor/admin/servers', added);
    conforms('POST', '/monitor/admin/servers', await rest('POST', '/monitor/admin/servers', { body: { identifier: added.body.identifier } }));
    conforms('POST', '/monitor/admin/servers', await rest('POST', '/monitor/admin/servers', { body: { identifier: '' } }));
    conforms('POST', '/monitor/admin/servers', await rest('POST', '/monitor/admin/servers', { body: { identifier: 'x' }, token: 'not-a-valid-token' }));
    const id = added.body.id;

    const key = await rest('POST', `/monitor/admin/servers/${id}/api-key`);
    conforms('POST', '/monitor/admin/servers/{id}/api-key', key);
    conforms('POST', '/monitor/admin/servers/{id}/api-key', await rest('POST', '/monitor/admin/servers/nope/api-key'));
    const apiKey = key.body.api_key;

    const heartbeat = (body: unknown, headers: Record<string, string> = { 'x-api-key': apiKey }) =>
      rest('POST', '/monitor/server/heartbeat-v2', { body, token: null, headers });
    conforms('POST', '/monitor/server/heartbeat-v2', await heartbeat(seedHeartbeat(added.body.identifier)));
    conforms('POST', '/monitor/server/heartbeat-v2', await heartbeat({ identifier: added.body.identifier, cpu_pct: 101 }));
    conforms('POST', '/monitor/server/heartbeat-v2', await heartbeat({ identifier: 'someone-else' }));
    conforms('POST', '/monitor/server/heartbeat-v2', await heartbeat(seedHeartbeat(added.body.identifier), { 'x-api-key': 'hfm_unknown' }));
    conforms('POST', '/monitor/server/heartbeat-v2', await heartbeat('x'.repeat(70_000), { 'x-api-key': apiKey }));
    conforms('POST', '/monitor/server/heartbeat-v2', await heartbeat('{}', { 'x-api-key': apiKey, 'content-type': 'text/plain' }));

    conforms('GET', '/monitor/public/overview', await rest('GET', '/monitor/public/overview', { token: null }));
    conforms('GET', '/monitor/public/overview', await rest('GET', '/monitor/public/overview?first=1&status=ONLINE,PENDING', { token: null }));
    const tagged = await rest('GET', '/monitor/public/overview?tag=edge');
    expect(tagged.body.servers.map((s: any) => s.tags)).toEqual([['edge']]);
    conforms('GET', '/monitor/public/overview', tagged);
    conforms('GET', '/monitor/public/overview', await rest('GET', '/monitor/public/overview?tag=edge', { token: null }));
    conforms('GET', '/monitor/public/overview', await rest('GET', '/monitor/public/overview?tag=no%20spaces'));

    conforms('GET', '/monitor/admin/servers', await rest('GET', '/monitor/admin/servers?limit=5'));
    conforms('GET', '/monitor/admin/servers', await rest('GET', '/monitor/admin/servers?tag=edge&tag=other'));

    const endsAt = new Date(Date.now() + 600_000).toISOString();
    const silence = await rest('POST', '/monitor/admin/silences', { body: { comment: 'deploy', ends_at: endsAt, server_ids: [id] } });
    conforms('POST', '/monitor/admin/silences', silence);
    conforms('POST', '/monitor/admin/silences', await rest('POST', '/monitor/admin/silences', { body: { comment: 'no window' } }));
    conforms('POST', '/monitor/admin/silences', await rest('POST', '/monitor/admin/silences', { body: { comment: 'x', ends_at: endsAt }, token: null }));
    conforms('GET', '/monitor/admin/silences', await rest('GET', '/monitor/admin/silences?include_expired=true'));
    conforms('GET', '/monitor/admin/silences', await rest('GET', '/monitor/admin/silences?include_expired=maybe'));
    conforms('PATCH', '/monitor/admin/silences/{id}', await rest('PATCH', `/monitor/admin/silences/${silence.body.id}`, { body: { ends_at: new Date(Date.now() + 60_000).toISOString() } }));
    conforms('PATCH', '/monitor/admin/silences/{id}', await rest('PATCH', '/monitor/admin/silences/nope', { body: { comment: 'x' } }));
    conforms('DELETE', '/monitor/admin/silences/{id}', await rest('DELETE', `/monitor/admin/silences/${silence.body.id}`));
    conforms('DELETE', '/monitor/admin/silences/{id}', await rest('DELETE', `/monitor/admin/silences/${silence.body.id}`));
    conforms('GET', '/monitor/admin/servers', await rest('GET', '/monitor/admin/servers', { token: null }));
    conforms('PATCH', '/monitor/admin/servers/{id}', await rest('PATCH', `/monitor/admin/servers/${id}`, { body: { name: 'Renamed', grace_seconds: 90 } }));
    conforms('PATCH', '/monitor/admin/servers/{id}', await rest('PATCH', `/monitor/admin/servers/${id}`, { body: { grace_seconds: -1 } }));
    conforms('PATCH', '/monitor/admin/servers/{id}', await rest('PATCH', '/monitor/admin/servers/nope', { body: { name: 'x' } }));
    const range = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date().toISOString()}`;
    conforms('GET', '/monitor/admin/servers/{id}/metrics', await rest('GET', `/monitor/admin/servers/${id}/metrics?${range}`));
    conforms('GET', '/monitor/admin/servers/{id}/metrics', await rest('GET', `/monitor/admin/servers/${id}/metrics?${range}&format=xml`));
    conforms('GET', '/monitor/admin/servers/{id}/metrics', await rest('GET', `/monitor/admin/servers/nope/metrics?${range}`));
    conforms('DELETE', '/monitor/admin/servers/{id}/api-key', await rest('DELETE', `/monitor/admin/servers/${id}/api-key`));
    conforms('DELETE', '/monitor/admin/servers/{id}', await rest('DELETE', `/monitor/admin/servers/${id}`));
    conforms('DELETE', '/monitor/admin/servers/{id}', await rest('DELETE', `/monitor/admin/servers/${id}`));

    conforms('GET', '/monitor/public/server-public-key', await rest('GET', '/monitor/public/server-public-key'));
    conforms('POST', '/monitor/admin/servers/{id}/challenge', await rest('POST', `/monitor/admin/servers/${id}/challenge`));
  });

  it('every documented operation was exercised above (a new endpoint comes with a check here)', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations as object).map((method) => `${method} ${path}`));
    expect(documented.filter((operation) => !checked.has(operation))).toEqual([]);
  });
});
