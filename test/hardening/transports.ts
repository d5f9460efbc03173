// One GraphQL operation sent over each transport a client may use, answering the first payload
// (data or errors): HTTP POST, GraphQL over SSE (both graphql-sse modes) and graphql-ws.
import { createClient as createSseClient } from 'graphql-sse';
import { subscribeSse, subscribeWs, wsClient } from '../helpers/subscriptions.ts';

export type Payload = { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] };
export type Transport = (baseUrl: string, query: string, variables?: Record<string, unknown>, token?: string) => Promise<Payload>;

const http: Transport = async (baseUrl, query, variables, token) => {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Payload;
};

const sseDistinct: Transport = async (baseUrl, query, variables, token) => {
  const sub = subscribeSse(baseUrl, query, variables, token);
  try {
    return await sub.waitFor(() => true);
  } finally {
    await sub.close();
  }
};

const ws: Transport = async (baseUrl, query, variables, token) => {
  const client = wsClient(baseUrl, token);
  const sub = subscribeWs(client, query, variables);
  try {
    return await sub.waitFor(() => true);
  } finally {
    await sub.close();
    await client.dispose();
  }
};

/** graphql-sse's own client; singleConnection: one reserved stream, operations sent by PUT/POST. */
export function graphqlSse(singleConnection: boolean): Transport {
  return async (baseUrl, query, variables, token) => {
    const client = createSseClient({
      url: `${baseUrl}/graphql/stream`,
      singleConnection,
      retryAttempts: 0,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    try {
      return await new Promise<Payload>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no payload within 10 s')), 10_000);
        client.subscribe(
          { query, variables },
          {
            next: (payload) => (clearTimeout(timer), resolve(payload as Payload)),
            error: (error) => {
              clearTimeout(timer);
              // The client reports refused operations as an array of GraphQL errors.
              if (Array.isArray(error)) resolve({ errors: error });
              else reject(error);
            },
            complete: () => {},
          },
        );
      });
    } finally {
      client.dispose();
    }
  };
}

export const TRANSPORTS: Record<string, Transport> = {
  http,
  'sse (distinct connections)': sseDistinct,
  'graphql-sse (distinct connections)': graphqlSse(false),
  'graphql-sse (single connection)': graphqlSse(true),
  'graphql-ws': ws,
};
