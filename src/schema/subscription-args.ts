// graphql-jit (11.x) hands a subscription field's `subscribe` the operation's variables instead of
// the field's arguments (see executeSubscription in its execution.js), so `fleetChanges(first: 10)`
// would arrive without `first`, and a variable named like an argument would stand in for it.
// The arguments are computed here from the field node, as graphql-js does.
import { getArgumentValues } from 'graphql/execution/values.js';
import type { GraphQLResolveInfo } from 'graphql';

export function subscriptionArgs<T>(info: GraphQLResolveInfo): T {
  const field = info.parentType.getFields()[info.fieldName]!;
  return getArgumentValues(field, info.fieldNodes[0]!, info.variableValues) as T;
}
