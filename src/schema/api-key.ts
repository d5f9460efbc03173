import { builder } from '../builder.ts';
import { generateApiKey, revokeApiKey } from '../services/api-keys.ts';
import type { ServerView } from '../services/views.ts';
import { ServerRef } from './server.ts';

const GenerateApiKeyPayload = builder.objectRef<{ apiKey: string; prefix: string; server: ServerView }>('GenerateApiKeyPayload').implement({
  fields: (t) => ({
    apiKey: t.exposeString('apiKey', { description: 'The plaintext key. Shown this once: only its hash is stored.' }),
    prefix: t.exposeString('prefix'),
    server: t.expose('server', { type: ServerRef }),
  }),
});

const RevokeApiKeyPayload = builder.objectRef<{ server: ServerView }>('RevokeApiKeyPayload').implement({
  fields: (t) => ({ server: t.expose('server', { type: ServerRef }) }),
});

builder.mutationFields((t) => ({
  generateApiKey: t.field({
    type: GenerateApiKeyPayload,
    authScopes: { admin: true },
    description: "Issues a new key for the server's sidecar and revokes the previous one.",
    args: { serverId: t.arg.id({ required: true }) },
    resolve: (_root, { serverId }, { services }) => generateApiKey(services, String(serverId)),
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyPayload,
    authScopes: { admin: true },
    description: "Revokes the server's key: its heartbeats are refused from the moment this returns.",
    args: { serverId: t.arg.id({ required: true }) },
    resolve: async (_root, { serverId }, { services }) => ({ server: await revokeApiKey(services, String(serverId)) }),
  }),
}));
