// Limits on what one GraphQL operation may ask for, as envelop plugins so that they run the same
// on HTTP, both SSE modes and graphql-ws (all three go through Yoga's envelop: src/server.ts).
// Tokens are counted while parsing, aliases/depth/directives while validating (GraphQL Armor),
// and the cost (src/operation-cost.ts) just before execution, when variables are known and the
// fleet's size is current. A refusal is a GraphQL error with extensions.code QUERY_TOO_COMPLEX.
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from './config.ts';
import { operationCost } from './operation-cost.ts';

export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

export type OperationLimits = Pick<Config, 'graphqlMaxAliases' | 'graphqlMaxDepth' | 'graphqlMaxTokens' | 'graphqlMaxDirectives' | 'graphqlMaxCost' | 'graphqlIntrospection'>;

const HINTS: Record<string, string> = {
  aliases: 'use fewer aliases',
  depth: 'select less deeply nested fields',
  tokens: 'send a shorter document',
  directives: 'use fewer directives',
};

function tooComplex(limit: string, max: number, armorMessage: string): GraphQLError {
  // Armor's messages read "Syntax Error: Aliases limit of 15 exceeded, found 16."
  const detail = armorMessage.replace(/^Syntax Error:\s*/, '');
  return new GraphQLError(`Operation refused: ${detail} (${HINTS[limit]}; the server's limit is GRAPHQL_MAX_${limit.toUpperCase()}=${max}).`, {
    extensions: { code: QUERY_TOO_COMPLEX, limit, max },
  });
}

/** Armor reports through onReject; thrown from there, the error stops parsing or validation at once. */
const refuseWith = (limit: string, max: number) => ({
  propagateOnRejection: false,
  onReject: [
    (_context: unknown, error: GraphQLError) => {
      throw tooComplex(limit, max, error.message);
    },
  ],
});

export function useOperationLimits(limits: OperationLimits, fleetSize: () => number): Plugin[] {
  const checkCost = (args: ExecutionArgs): GraphQLError | null => {
    const size = fleetSize();
    const cost = operationCost({ schema: args.schema, document: args.document, operationName: args.operationName, variables: args.variableValues, fleetSize: size });
    if (cost <= limits.graphqlMaxCost) return null;
    return new GraphQLError(
      `Operation refused: its estimated cost ${cost} exceeds the limit of ${limits.graphqlMaxCost} (GRAPHQL_MAX_COST). ` +
        `Each field counts once per item of the lists it is in, and overview.servers holds ${size} servers: ` +
        'select fewer fields, use fewer aliases, or page with `first`.',
      { extensions: { code: QUERY_TOO_COMPLEX, limit: 'cost', max: limits.graphqlMaxCost, cost } },
    );
  };
  const costLimit: Plugin = {
    onExecute({ args, setResultAndStopExecution }) {
      const error = checkCost(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = checkCost(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: limits.graphqlMaxTokens, ...refuseWith('tokens', limits.graphqlMaxTokens) }) as Plugin,
    maxAliasesPlugin({ n: limits.graphqlMaxAliases, ...refuseWith('aliases', limits.graphqlMaxAliases) }) as Plugin,
    maxDepthPlugin({ n: limits.graphqlMaxDepth, flattenFragments: true, ...refuseWith('depth', limits.graphqlMaxDepth) }) as Plugin,
    maxDirectivesPlugin({ n: limits.graphqlMaxDirectives, ...refuseWith('directives', limits.graphqlMaxDirectives) }) as Plugin,
    costLimit,
  ];
  if (!limits.graphqlIntrospection) {
    plugins.push({
      onValidate({ addValidationRule }) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      },
    });
  }
  return plugins;
}
