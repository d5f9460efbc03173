// What an operation will cost, estimated from the document before anything executes: every
// field counts 1, times the length of the lists it sits in. Lists whose length is the fleet
// (`overview.servers`; declare a field `extensions: FLEET_SIZED`) count one per server, or per
// server of the page when the field or its parent takes `first` (or `ids`); other paged fields count `first`
// (or `last`, or DEFAULT_PAGE when neither is given); lists bounded by another argument declare it
// with `sizedByArgument` (`metrics(maxPoints) { points }`, `versionChanges(limit)`). So
// `a1: overview { servers { … } } … a300: …` costs 300 × fleet × fields and is refused without
// building any part of the answer.
//
// Why not GraphQL Armor's cost-limit: it multiplies only literal `first`/`last` values, cannot see
// variables or the fleet's size, and its cost of a whole-fleet list is that of a single object.
import {
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** Field extensions of a list whose length is the number of servers (or a page of them). */
export const FLEET_SIZED = { cost: 'fleet' } as const;
const DEFAULT_PAGE = 100;

interface ArgumentSize {
  /** The argument that bounds the list: an Int (its value) or a list (its length). */
  argument: string;
  /** Whose argument: the field's own, or its parent field's (`metrics(maxPoints) { points }`). */
  of: 'self' | 'parent';
  default: number;
  /** The largest value the resolver accepts: a larger one is refused there, so it costs at most this. */
  max: number;
}

/**
 * Field extensions of a list whose length an argument bounds, e.g. `points` by its parent's
 * `maxPoints`: the list counts that many items (the default when the argument is absent).
 */
export const sizedByArgument = (argument: string, bounds: Omit<ArgumentSize, 'argument' | 'of'> & { of?: ArgumentSize['of'] }) =>
  ({ cost: { argument, of: bounds.of ?? 'self', default: bounds.default, max: bounds.max } satisfies ArgumentSize }) as const;

function argumentSizeOf(field: GraphQLField<unknown, unknown>): ArgumentSize | undefined {
  const cost = (field.extensions as { cost?: unknown } | undefined)?.cost;
  return typeof cost === 'object' && cost !== null && 'argument' in cost ? (cost as ArgumentSize) : undefined;
}

type Variables = Record<string, unknown> | null | undefined;

function valueOf(node: ValueNode | undefined, variables: Variables): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  if (node.kind === Kind.INT) return Number.parseInt(node.value, 10);
  if (node.kind === Kind.BOOLEAN) return node.value;
  return undefined;
}

function intArgument(field: FieldNode, name: string, variables: Variables): number | undefined {
  const value = valueOf(field.arguments?.find((arg) => arg.name.value === name)?.value, variables);
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : undefined;
}

/** How many servers a field that pages a fleet-sized list asks for: `first`, or the length of `ids`/`identifiers`. */
function pageArgument(field: FieldNode, variables: Variables): number | undefined {
  const bounds = [intArgument(field, 'first', variables)];
  for (const name of ['ids', 'identifiers']) {
    const node = field.arguments?.find((arg) => arg.name.value === name)?.value;
    const value = node?.kind === Kind.LIST ? node.values : valueOf(node, variables);
    if (Array.isArray(value)) bounds.push(value.length);
  }
  const known = bounds.filter((bound): bound is number => bound !== undefined);
  return known.length ? Math.min(...known) : undefined;
}

function skipped(node: { directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: ValueNode }[] }[] }, variables: Variables): boolean {
  for (const directive of node.directives ?? []) {
    const condition = valueOf(directive.arguments?.find((arg) => arg.name.value === 'if')?.value, variables);
    if (directive.name.value === 'skip' && condition === true) return true;
    if (directive.name.value === 'include' && condition === false) return true;
  }
  return false;
}

const isFleetSized = (field: GraphQLField<unknown, unknown>) => (field.extensions as { cost?: unknown } | undefined)?.cost === FLEET_SIZED.cost;

export interface CostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Variables;
  /** How many servers a fleet-sized list holds right now. */
  fleetSize: number;
}

export function operationCost({ schema, document, operationName, variables, fleetSize }: CostInput): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return 0;
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;

  // A fragment costs the same wherever it is spread (for a given page): computed once, so that
  // fragments spreading fragments cannot make this estimate itself exponential.
  const fragmentCosts = new Map<string, number>();
  const active = new Set<string>();
  const pagerTypes = new Map<string, boolean>();
  const pagesFleetList = (type: GraphQLCompositeType) => {
    let known = pagerTypes.get(type.name);
    if (known === undefined) {
      known = (isObjectType(type) || isInterfaceType(type)) && Object.values(type.getFields()).some(isFleetSized);
      pagerTypes.set(type.name, known);
    }
    return known;
  };

  function fieldDefinition(type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
    return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
  }

  /** What of a parent field can change a fragment's cost below it: the values of its arguments. */
  function parentKey(parent: FieldNode): string {
    return (parent.arguments ?? [])
      .map((arg) => `${arg.name.value}=${arg.value.kind === Kind.LIST ? `[${arg.value.values.length}]` : String(valueOf(arg.value, variables))}`)
      .join(',');
  }

  /** The item count of a list sized by an argument (see sizedByArgument). */
  function argumentSize(size: ArgumentSize, field: FieldNode, parent: FieldNode | undefined): number {
    const node = size.of === 'parent' ? parent : field;
    const argument = node?.arguments?.find((arg) => arg.name.value === size.argument)?.value;
    const value = argument?.kind === Kind.LIST ? argument.values.length : valueOf(argument, variables);
    const count = Array.isArray(value) ? value.length : typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : size.default;
    return Math.min(size.max, count);
  }

  function selectionSetCost(selectionSet: SelectionSetNode, type: GraphQLCompositeType, page: number | undefined, parent?: FieldNode): number {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (skipped(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        const field = fieldDefinition(type, selection.name.value);
        if (!field) continue; // unknown fields are refused by validation
        const fieldType = getNamedType(field.type);
        const first = intArgument(selection, 'first', variables) ?? intArgument(selection, 'last', variables);
        let multiplier = 1;
        let childPage: number | undefined;
        const sized = argumentSizeOf(field);
        if (sized) multiplier = argumentSize(sized, selection, parent);
        else if (isFleetSized(field)) multiplier = Math.min(fleetSize, first ?? page ?? fleetSize);
        else if (isCompositeType(fieldType) && pagesFleetList(fieldType)) childPage = pageArgument(selection, variables);
        else if (field.args.some((arg) => arg.name === 'first' || arg.name === 'last')) multiplier = first ?? DEFAULT_PAGE;
        const children = selection.selectionSet && isCompositeType(fieldType) ? selectionSetCost(selection.selectionSet, fieldType, childPage, selection) : 0;
        cost += multiplier * (1 + children);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (condition && isCompositeType(condition)) cost += selectionSetCost(selection.selectionSet, condition, page, parent);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || active.has(name)) continue; // cycles are refused by validation
        // The parent's arguments may size lists inside the fragment: the same spread under another
        // parent field can cost differently.
        const key = `${name}:${page ?? ''}:${parent ? parentKey(parent) : ''}`;
        let fragmentCost = fragmentCosts.get(key);
        if (fragmentCost === undefined) {
          const condition = schema.getType(fragment.typeCondition.name.value);
          active.add(name);
          fragmentCost = condition && isCompositeType(condition) ? selectionSetCost(fragment.selectionSet, condition, page, parent) : 0;
          active.delete(name);
          fragmentCosts.set(key, fragmentCost);
        }
        cost += fragmentCost;
      }
    }
    return cost;
  }

  return selectionSetCost(operation.selectionSet, root, undefined);
}
