// GET /monitor/openapi.json: the REST contract as OpenAPI 3.1, built from zod schemas with zod 4's
// JSON Schema output (OpenAPI 3.1 uses JSON Schema 2020-12). Request bodies use the schemas that
// validate them; responses use the schemas below, which test/hardening/openapi.test.ts checks every
// endpoint's real answers against.
//
// Adding an endpoint: call declareEndpoint({...}) once, in the module that handles the route, at
// module level (see src/rest/endpoints.ts). Nothing else lists endpoints.
import { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface EndpointDeclaration {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/monitor/admin/servers/{id}`. */
  path: string;
  summary: string;
  tag: string;
  auth: 'none' | 'admin' | 'admin-or-public' | 'apiKey';
  /** Query parameters: each key of the object is one parameter. */
  query?: z.ZodObject;
  body?: z.ZodType;
  /** status → description and body schema (JSON); a string: the body is not JSON (e.g. text). */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

const endpoints: EndpointDeclaration[] = [];

export function declareEndpoint(endpoint: EndpointDeclaration): EndpointDeclaration {
  endpoints.push(endpoint);
  return endpoint;
}

export function declaredEndpoints(): readonly EndpointDeclaration[] {
  return endpoints;
}

/** The error body every REST endpoint answers with. */
export const restErrorSchema = z.object({ error: z.string().describe('A code such as BAD_USER_INPUT, UNAUTHENTICATED, NOT_FOUND'), message: z.string() });

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const STANDARD_ERRORS: Record<string, Record<number, string>> = {
  none: {},
  'admin-or-public': { 401: 'the token is unknown or revoked, or the overview is not public', 429: 'too many requests from this address' },
  admin: { 401: 'no, an unknown or a revoked token', 403: 'a read-only token where admin scope is needed', 429: 'too many failed authentications from this address' },
  apiKey: { 401: 'no, an unknown or a revoked API key', 429: 'too many heartbeats with this key' },
};

const pathParameters = (path: string) =>
  [...path.matchAll(/\{([^}]+)\}/g)].map((match) => ({ name: match[1]!, in: 'path', required: true, schema: { type: 'string' } }));

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const endpoint of endpoints) {
    const responses: Record<string, unknown> = {};
    const errors = { ...STANDARD_ERRORS[endpoint.auth], ...(endpoint.body ? { 400: 'a field is invalid: the message names it' } : {}) };
    for (const [status, description] of Object.entries(errors)) {
      responses[status] = { description, content: { 'application/json': { schema: jsonSchema(restErrorSchema, 'output') } } };
    }
    for (const [status, response] of Object.entries(endpoint.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } } } : {}),
      };
    }
    const queryShape = endpoint.query?.shape ?? {};
    const parameters = [
      ...pathParameters(endpoint.path),
      ...Object.entries(queryShape).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        ...((schema as z.ZodType).description ? { description: (schema as z.ZodType).description } : {}),
        schema: jsonSchema(schema as z.ZodType, 'input'),
      })),
    ];
    paths[endpoint.path] ??= {};
    paths[endpoint.path]![endpoint.method] = {
      summary: endpoint.summary,
      tags: [endpoint.tag],
      operationId: `${endpoint.method}${endpoint.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(endpoint.auth === 'admin' ? { security: [{ bearer: [] }] } : {}),
      ...(endpoint.auth === 'admin-or-public' ? { security: [{}, { bearer: [] }] } : {}),
      ...(endpoint.auth === 'apiKey' ? { security: [{ apiKey: [] }] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(endpoint.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(endpoint.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'HarborForge Monitor REST API',
      version,
      description: 'The seed\'s REST contract (snake_case). GraphQL lives at /graphql; its schema is schema.graphql.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An admin token (HARBORFORGE_ADMIN_TOKEN or one made with `npm run admin -- create`).' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: "A server's API key (POST /monitor/admin/servers/{id}/api-key)." },
      },
    },
    paths,
  };
}
