// GET /monitor/public/overview: the same options as the GraphQL `overview` as query parameters
// (`first`, `after`, `offset`, `status` — comma-separated —, `search`, `order`: identifier_asc,
// identifier_desc or problems_first, `tag` — repeated, every one must be carried, as on
// /monitor/admin/servers). Without any, the whole fleet as before.
import { ServiceError } from '../services/errors.ts';
import type { OverviewOrder } from '../services/fleet-index.ts';
import { MAX_PAGE_SIZE, overviewTagFilter, type OverviewArgs } from '../services/overview.ts';

/** The `order` values: the GraphQL OverviewOrder values in lower case. */
export const REST_ORDERS = ['identifier_asc', 'identifier_desc', 'problems_first'] as const;
import { SERVER_STATUSES, type ServerStatus } from '../services/status.ts';

function intParam(params: URLSearchParams, name: string, max: number): number | null {
  const raw = params.get(name);
  if (raw == null || raw === '') return null;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new ServiceError('BAD_USER_INPUT', `${name}: must be a whole number from 0 to ${max}`);
  return value;
}

export function overviewArgsFromQuery(params: URLSearchParams, tagsVisible: boolean): OverviewArgs {
  const statusParam = params.get('status');
  const status = statusParam
    ? statusParam.split(',').map((s) => {
        const value = s.trim().toUpperCase();
        if (!SERVER_STATUSES.includes(value as ServerStatus)) throw new ServiceError('BAD_USER_INPUT', `status: must be one of ${SERVER_STATUSES.join(', ')}`);
        return value as ServerStatus;
      })
    : null;
  const order = (params.get('order') ?? 'identifier_asc').toLowerCase();
  if (!REST_ORDERS.includes(order as (typeof REST_ORDERS)[number])) throw new ServiceError('BAD_USER_INPUT', `order: must be one of ${REST_ORDERS.join(', ')}`);
  const search = params.get('search');
  if (search && search.length > 200) throw new ServiceError('BAD_USER_INPUT', 'search: must be at most 200 characters');
  return {
    first: intParam(params, 'first', MAX_PAGE_SIZE),
    offset: intParam(params, 'offset', Number.MAX_SAFE_INTEGER),
    after: params.get('after'),
    order: order.toUpperCase() as OverviewOrder,
    filter: { status, search, tags: overviewTagFilter(params.getAll('tag'), tagsVisible) },
  };
}
