// Silences / maintenance windows: a one-off window (startsAt..endsAt) or a weekly recurrence
// (days + UTC start time + duration, optionally bounded by startsAt/endsAt), scoped to servers,
// tags or everything. Alerts in a silence are recorded but not sent (src/services/alerts/evaluator.ts).
import { z } from 'zod';
import type { Services } from '../context.ts';
import { ServiceError, fromPrismaError } from '../errors.ts';
import { parseInput } from '../servers.ts';
import { tagListSchema } from '../server-tags.ts';
import { idList, inScope, parseList } from './common.ts';
import { announceAlertConfig } from './config-events.ts';

export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyRecurrence {
  days: Weekday[];
  /** "HH:MM", UTC. */
  startTime: string;
  durationMinutes: number;
}

export interface SilenceView {
  id: string;
  comment: string;
  serverIds: string[];
  tags: string[];
  startsAt: Date | null;
  endsAt: Date | null;
  recurrence: WeeklyRecurrence | null;
  createdAt: Date;
  updatedAt: Date;
}

type SilenceRow = Awaited<ReturnType<Services['db']['prisma']['alertSilence']['findUniqueOrThrow']>>;

export function toSilenceView(row: SilenceRow): SilenceView {
  let recurrence: WeeklyRecurrence | null = null;
  try {
    recurrence = row.recurrence ? (JSON.parse(row.recurrence) as WeeklyRecurrence) : null;
  } catch {}
  return { ...row, serverIds: parseList(row.serverIds), tags: parseList(row.tags), recurrence };
}

const recurrenceSchema = z.object({
  days: z.array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` })).min(1, 'must name at least one day').transform((d) => [...new Set(d)]),
  startTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:MM" (24 h, UTC)'),
  durationMinutes: z.number().int('must be a whole number of minutes').min(1, 'must be at least 1').max(10_080, 'must be at most 10080 (a week)'),
});

const silenceFields = {
  comment: z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
  serverIds: idList('server', 1000).nullish(),
  tags: tagListSchema.nullish(),
  startsAt: z.date().nullish(),
  endsAt: z.date().nullish(),
  recurrence: recurrenceSchema.nullish(),
};

const completeSilence = z.object(silenceFields).superRefine((s, ctx) => {
  if (!s.recurrence && (!s.startsAt || !s.endsAt)) {
    const missing = s.endsAt ? 'startsAt' : 'endsAt';
    ctx.addIssue({ code: 'custom', path: [missing], message: `is required unless a weekly recurrence is given${missing === 'endsAt' ? ' (startsAt defaults to now)' : ''}` });
  }
  if (s.startsAt && s.endsAt && s.endsAt <= s.startsAt) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
});

export const createSilenceInputSchema = z.object(silenceFields);
export const updateSilenceInputSchema = z.object({ id: z.string().min(1), ...silenceFields, comment: silenceFields.comment.nullish() });

/** The end of the window of `silence` that contains `at`, or null when `at` is outside it. */
export function silenceActiveUntil(silence: Pick<SilenceView, 'startsAt' | 'endsAt' | 'recurrence'>, at: Date): Date | null {
  const t = at.getTime();
  if (silence.startsAt && t < silence.startsAt.getTime()) return null;
  if (silence.endsAt && t >= silence.endsAt.getTime()) return null;
  const rec = silence.recurrence;
  if (!rec) return silence.endsAt;
  const [hours, minutes] = rec.startTime.split(':').map(Number) as [number, number];
  const durationMs = rec.durationMinutes * 60_000;
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  let end: number | null = null;
  // A window lasts at most a week, so one that contains `at` started within the last 7 days.
  for (let back = 0; back <= 7; back++) {
    const day = midnight - back * 86_400_000;
    if (!rec.days.includes(WEEKDAYS[new Date(day).getUTCDay()]!)) continue;
    const start = day + (hours * 60 + minutes) * 60_000;
    if (start <= t && t < start + durationMs) end = Math.max(end ?? 0, start + durationMs);
  }
  if (end === null) return null;
  return new Date(silence.endsAt ? Math.min(end, silence.endsAt.getTime()) : end);
}

/** The latest end among the silences covering this server at `at`, or null when none does. */
export function silencedUntil(silences: readonly SilenceView[], serverId: string, hasAnyTag: (tags: readonly string[]) => boolean, at: Date): Date | null {
  let until: Date | null = null;
  for (const silence of silences) {
    if (!inScope(silence, serverId, hasAnyTag)) continue;
    const end = silenceActiveUntil(silence, at);
    if (end && (!until || end > until)) until = end;
  }
  return until;
}

type SilenceInput = z.output<typeof completeSilence>;

function silenceData(s: SilenceInput) {
  return {
    comment: s.comment,
    serverIds: JSON.stringify(s.serverIds ?? []),
    tags: JSON.stringify(s.tags ?? []),
    startsAt: s.startsAt ?? null,
    endsAt: s.endsAt ?? null,
    recurrence: s.recurrence ? JSON.stringify(s.recurrence) : null,
  };
}

export async function createSilence(services: Services, rawInput: unknown): Promise<SilenceView> {
  const input = parseInput(createSilenceInputSchema, rawInput);
  // A deploy script opens a window "from now until ...": it need not know the server's clock.
  if (!input.recurrence && input.endsAt && !input.startsAt) input.startsAt = services.now();
  const silence = parseInput(completeSilence, input);
  const row = await services.db.prisma.alertSilence.create({ data: silenceData(silence) });
  announceAlertConfig(services, 'silences');
  return toSilenceView(row);
}

const notFound = (id: string) => `no silence with id "${id}"`;

export async function updateSilence(services: Services, rawInput: unknown): Promise<SilenceView> {
  const { id, ...changes } = parseInput(updateSilenceInputSchema, rawInput);
  const existing = await services.db.prisma.alertSilence.findUnique({ where: { id } });
  if (!existing) throw new ServiceError('NOT_FOUND', notFound(id));
  const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  const silence = parseInput(completeSilence, { ...toSilenceView(existing), ...given });
  const row = await services.db.prisma.alertSilence.update({ where: { id }, data: silenceData(silence) });
  announceAlertConfig(services, 'silences');
  return toSilenceView(row);
}

export async function deleteSilence(services: Services, id: string): Promise<{ deletedSilenceId: string }> {
  await services.db.prisma.alertSilence.delete({ where: { id } }).catch((error) => {
    throw fromPrismaError(error, { notFound: notFound(id) });
  });
  announceAlertConfig(services, 'silences');
  return { deletedSilenceId: id };
}

/** Silences that are not over yet (or all, with `includeExpired`), newest first. */
export async function listSilences(services: Services, options: { includeExpired?: boolean } = {}): Promise<SilenceView[]> {
  const rows = await services.db.prisma.alertSilence.findMany({
    where: options.includeExpired ? {} : { OR: [{ endsAt: null }, { endsAt: { gt: services.now() } }] },
    orderBy: { createdAt: 'desc' },
    take: 1000,
  });
  return rows.map(toSilenceView);
}
