import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import { builder } from '../builder.ts';

// Event payloads that crossed Redis arrive with dates as ISO strings, so output accepts both.
builder.scalarType('DateTime', {
  description: 'An ISO-8601 instant in UTC, e.g. "2026-11-24T09:30:00.000Z".',
  // Hot: the unpaged overview serializes one per server. A Date needs no copy, and an ISO string
  // (from a payload that crossed Redis) is already the answer.
  serialize: (value) => (value instanceof Date ? value.toISOString() : typeof value === 'string' && value.endsWith('Z') && value.length === 24 ? value : new Date(value as string).toISOString()),
  parseValue: (value) => {
    const date = new Date(value as string);
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return new Date(ast.value);
  },
});

// Free-form settings objects (alert channel settings differ per kind); validated by the services.
builder.scalarType('JSON', {
  description: 'A JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => valueFromASTUntyped(ast),
});
