// Alert channels: create, change, delete, list and test. Settings are validated with the sender's
// zod schema per kind (interface C); secret fields are write-only: stored, used to send, never returned.
import { z } from 'zod';
import type { Services } from '../context.ts';
import { ServiceError, fromPrismaError } from '../errors.ts';
import { parseInput } from '../servers.ts';
import { ALERT_CHANNEL_KINDS, checkChannelSettings, publicChannelSettings, sendAlertNotification, testNotification, type AlertChannelKind, type SendOptions } from './channels.ts';
import { announceAlertConfig } from './config-events.ts';

export interface AlertChannelView {
  id: string;
  name: string;
  kind: AlertChannelKind;
  enabled: boolean;
  /** Settings without the secret fields. */
  settings: Record<string, unknown>;
  /** Names of the secret fields that are set. */
  secretsSet: string[];
  createdAt: Date;
  updatedAt: Date;
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  lastError: string | null;
}

type ChannelRow = Awaited<ReturnType<Services['db']['prisma']['alertChannel']['findUniqueOrThrow']>>;

const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const settingsObject = z.record(z.string(), z.unknown(), { error: 'must be an object' });

export const createAlertChannelInputSchema = z.object({
  name,
  kind: z.enum(ALERT_CHANNEL_KINDS as [AlertChannelKind, ...AlertChannelKind[]], { error: `must be one of ${ALERT_CHANNEL_KINDS.join(', ')}` }),
  settings: settingsObject,
  enabled: z.boolean().nullish(),
});

export const updateAlertChannelInputSchema = z.object({
  id: z.string().min(1),
  name: name.nullish(),
  /** Merged over the stored settings: a secret left out keeps its stored value. */
  settings: settingsObject.nullish(),
  enabled: z.boolean().nullish(),
});

function storedSettings(row: Pick<ChannelRow, 'settings'>): Record<string, unknown> {
  try {
    return JSON.parse(row.settings) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function toChannelView(row: ChannelRow): AlertChannelView {
  const kind = row.kind as AlertChannelKind;
  const { settings, secretsSet } = publicChannelSettings(kind, storedSettings(row));
  return {
    id: row.id,
    name: row.name,
    kind,
    enabled: row.enabled,
    settings,
    secretsSet,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastSuccessAt: row.lastSuccessAt,
    lastErrorAt: row.lastErrorAt,
    lastError: row.lastError,
  };
}

function validSettings(kind: AlertChannelKind, settings: Record<string, unknown>): Record<string, unknown> {
  const checked = checkChannelSettings(kind, settings);
  if (!checked.ok) throw new ServiceError('BAD_USER_INPUT', checked.error);
  return checked.settings as Record<string, unknown>;
}

const notFound = (id: string) => `no alert channel with id "${id}"`;

export async function createAlertChannel(services: Services, rawInput: unknown): Promise<AlertChannelView> {
  const input = parseInput(createAlertChannelInputSchema, rawInput);
  const settings = validSettings(input.kind, input.settings);
  const row = await services.db.prisma.alertChannel.create({
    data: { name: input.name, kind: input.kind, settings: JSON.stringify(settings), enabled: input.enabled ?? true },
  });
  announceAlertConfig(services, 'channels');
  return toChannelView(row);
}

export async function updateAlertChannel(services: Services, rawInput: unknown): Promise<AlertChannelView> {
  const input = parseInput(updateAlertChannelInputSchema, rawInput);
  const { prisma } = services.db;
  const existing = await prisma.alertChannel.findUnique({ where: { id: input.id } });
  if (!existing) throw new ServiceError('NOT_FOUND', notFound(input.id));
  const kind = existing.kind as AlertChannelKind;
  const settings = input.settings ? validSettings(kind, { ...storedSettings(existing), ...input.settings }) : undefined;
  const row = await prisma.alertChannel.update({
    where: { id: input.id },
    data: {
      ...(input.name != null ? { name: input.name } : {}),
      ...(settings ? { settings: JSON.stringify(settings) } : {}),
      ...(input.enabled != null ? { enabled: input.enabled } : {}),
    },
  });
  announceAlertConfig(services, 'channels');
  return toChannelView(row);
}

/** Deletes the channel and its undelivered notifications; rules simply stop naming it. */
export async function deleteAlertChannel(services: Services, id: string): Promise<{ deletedChannelId: string }> {
  await services.db.prisma.alertChannel.delete({ where: { id } }).catch((error) => {
    throw fromPrismaError(error, { notFound: notFound(id) });
  });
  announceAlertConfig(services, 'channels');
  return { deletedChannelId: id };
}

export async function listAlertChannels(services: Services): Promise<AlertChannelView[]> {
  const rows = await services.db.prisma.alertChannel.findMany({ orderBy: { createdAt: 'asc' }, take: 1000 });
  return rows.map(toChannelView);
}

export interface ChannelDelivery {
  kind: AlertChannelKind;
  settings: Record<string, unknown>;
}

export async function requireChannel(services: Services, id: string): Promise<ChannelRow> {
  const row = await services.db.prisma.alertChannel.findUnique({ where: { id } });
  if (!row) throw new ServiceError('NOT_FOUND', notFound(id));
  return row;
}

/** Records the outcome of a send on the channel (its health, visible in the API). */
export async function recordChannelOutcome(services: Services, channelId: string, outcome: { ok: true } | { ok: false; error: string }): Promise<void> {
  const at = services.now();
  await services.db.prisma.alertChannel.updateMany({
    where: { id: channelId },
    data: outcome.ok ? { lastSuccessAt: at } : { lastErrorAt: at, lastError: outcome.error.slice(0, 1000) },
  });
}

/** Sends a TEST message through the channel now (not through the outbox) and reports the outcome. */
export async function testAlertChannel(services: Services, id: string, options: SendOptions): Promise<{ ok: boolean; error: string | null; channel: AlertChannelView }> {
  const row = await requireChannel(services, id);
  const result = await sendAlertNotification(row.kind as AlertChannelKind, storedSettings(row), testNotification(services.now(), row.name), options);
  await recordChannelOutcome(services, row.id, result);
  const channel = toChannelView(await requireChannel(services, id));
  return { ok: result.ok, error: result.ok ? null : result.error, channel };
}

export { storedSettings as channelSettingsOf };
