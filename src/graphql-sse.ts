// GraphQL over SSE as the graphql-sse library speaks it, both modes, at /graphql/stream:
// "distinct connections" (one streamed POST per operation) and "single connection" (PUT reserves a
// stream, GET opens it, operations are POSTed with their id). Yoga's own /graphql already serves
// distinct connections; graphql-sse's client in single-connection mode needs this endpoint.
//
// This is @graphql-yoga/plugin-graphql-sse's wiring with one difference: an operation refused by
// the parser or by validation (the operation limits throw: src/operation-limits.ts) is answered
// with its GraphQL errors in the stream, instead of a 500 or a 400 without them.
import { createHandler } from 'graphql-sse/lib/use/fetch';
import { getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';

export const GRAPHQL_SSE_PATH = '/graphql/stream';

// graphql-sse takes an onSubscribe answer for a result only when it has a `data` key; without it
// the answer is read as execution arguments and the client gets a 400 instead of the errors.
const refused = (errors: readonly GraphQLError[]): ExecutionResult => ({ data: null, errors });

export function useGraphQLSse(): Plugin {
  const serverContextOf = new WeakMap<Request, Record<string, unknown>>();
  let handler: (request: Request) => Promise<Response>;
  return {
    onYogaInit({ yoga }) {
      const server = yoga as unknown as YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;
      handler = createHandler(
        {
          async onSubscribe(req, params) {
            const enveloped = server.getEnveloped({ ...serverContextOf.get(req.raw), request: req.raw, params });
            let document;
            try {
              document = enveloped.parse(params.query);
              const errors = enveloped.validate(enveloped.schema, document);
              if (errors.length > 0) return refused(errors);
            } catch (error) {
              if (error instanceof GraphQLError) return refused([error]);
              throw error;
            }
            const args = {
              schema: enveloped.schema,
              document,
              contextValue: await enveloped.contextFactory(),
              variableValues: params.variables,
              operationName: params.operationName,
            };
            const operation = getOperationAST(document, params.operationName);
            const result = await (operation?.operation === 'subscription' ? enveloped.subscribe : enveloped.execute)(args);
            // Refused before execution (the cost limit): errors only.
            if (!(Symbol.asyncIterator in result) && !('data' in result)) return refused(result.errors ?? []);
            return result as never;
          },
        },
        server.fetchAPI,
      ) as (request: Request) => Promise<Response>;
    },
    onRequest({ request, url, endResponse, serverContext }) {
      if (url.pathname !== GRAPHQL_SSE_PATH) return;
      serverContextOf.set(request, serverContext as Record<string, unknown>);
      return handler(request).then(endResponse);
    },
  };
}
