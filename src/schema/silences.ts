import { builder } from '../builder.ts';
import { silenceActiveUntil, WEEKDAYS, createSilence, deleteSilence, listSilences, updateSilence, type SilenceView, type WeeklyRecurrence } from '../services/alerts/silences.ts';

const WeekdayEnum = builder.enumType('Weekday', { values: WEEKDAYS });

const WeeklyRecurrenceRef = builder.objectRef<WeeklyRecurrence>('WeeklyRecurrence').implement({
  fields: (t) => ({
    days: t.expose('days', { type: [WeekdayEnum] }),
    startTime: t.exposeString('startTime', { description: '"HH:MM", UTC.' }),
    durationMinutes: t.exposeInt('durationMinutes'),
  }),
});

const SilenceRef = builder.objectRef<SilenceView>('Silence').implement({
  description: 'A maintenance window: alerts of servers in scope are recorded but not sent; one still firing when it ends is sent then.',
  fields: (t) => ({
    id: t.exposeID('id'),
    comment: t.exposeString('comment'),
    serverIds: t.exposeIDList('serverIds'),
    tags: t.exposeStringList('tags'),
    startsAt: t.expose('startsAt', { type: 'DateTime', nullable: true }),
    endsAt: t.expose('endsAt', { type: 'DateTime', nullable: true }),
    recurrence: t.expose('recurrence', { type: WeeklyRecurrenceRef, nullable: true }),
    activeUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The end of the window in force now; null when the silence is not in force.',
      resolve: (silence, _args, { services }) => silenceActiveUntil(silence, services.now()),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const WeeklyRecurrenceInput = builder.inputType('WeeklyRecurrenceInput', {
  fields: (t) => ({
    days: t.field({ type: [WeekdayEnum], required: true }),
    startTime: t.string({ required: true, description: '"HH:MM", UTC.' }),
    durationMinutes: t.int({ required: true }),
  }),
});

const silenceInputFields = (t: PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<any>, 'InputObject'>) => ({
  serverIds: t.idList(),
  tags: t.stringList(),
  startsAt: t.field({ type: 'DateTime' }),
  endsAt: t.field({ type: 'DateTime' }),
  recurrence: t.field({ type: WeeklyRecurrenceInput }),
});

const CreateSilenceInput = builder.inputType('CreateSilenceInput', {
  description:
    'Scope: serverIds and/or tags (neither: every server). Either endsAt (startsAt defaults to now), or a weekly recurrence (optionally bounded by startsAt/endsAt).',
  fields: (t) => ({ comment: t.string({ required: true }), ...silenceInputFields(t as any) }),
});

const UpdateSilenceInput = builder.inputType('UpdateSilenceInput', {
  description: 'Fields left out keep their values; null clears a field.',
  fields: (t) => ({ id: t.id({ required: true }), comment: t.string(), ...silenceInputFields(t as any) }),
});

const SilencePayload = (name: string) =>
  builder.objectRef<{ silence: SilenceView }>(name).implement({ fields: (t) => ({ silence: t.expose('silence', { type: SilenceRef }) }) });

const DeleteSilencePayload = builder.objectRef<{ deletedSilenceId: string }>('DeleteSilencePayload').implement({
  fields: (t) => ({ deletedSilenceId: t.exposeID('deletedSilenceId') }),
});

const ids = (list: readonly unknown[] | null | undefined) => (list == null ? list : list.map(String));

builder.queryField('silences', (t) =>
  t.field({
    type: [SilenceRef],
    authScopes: { reader: true },
    args: { includeExpired: t.arg.boolean({ description: 'Also silences whose end has passed.' }) },
    resolve: (_root, args, { services }) => listSilences(services, { includeExpired: args.includeExpired ?? false }),
  }),
);

builder.mutationFields((t) => ({
  createSilence: t.field({
    type: SilencePayload('CreateSilencePayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateSilenceInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({ silence: await createSilence(services, { ...input, serverIds: ids(input.serverIds) }) }),
  }),
  updateSilence: t.field({
    type: SilencePayload('UpdateSilencePayload'),
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateSilenceInput, required: true }) },
    resolve: async (_root, { input }, { services }) => ({
      silence: await updateSilence(services, { ...input, id: String(input.id), serverIds: ids(input.serverIds) }),
    }),
  }),
  deleteSilence: t.field({
    type: DeleteSilencePayload,
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => deleteSilence(services, String(id)),
  }),
}));
