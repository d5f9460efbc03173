// Silences (maintenance windows): one-off or weekly, for servers, tags or everything. Alerts
// inside one are recorded but not sent.
import { useState } from 'preact/hooks';
import { Ago } from '../../shared/components.tsx';
import { GraphQLRequestError } from '../../shared/graphql.ts';
import { ConfigCard } from './ConfigCard.tsx';
import { createSilence, deleteSilence, type ServerChoice, type Silence, type SilenceInput, type Weekday } from './api.ts';
import { described, Field, FormError, mutationErrors, splitList, type Errors } from './form.tsx';
import { DAY_LABEL, scopeText, silenceWhen, WEEKDAYS } from './rule-text.ts';
import { ServerPicker } from './ServerPicker.tsx';

interface Props {
  token: string;
  silences: Silence[];
  serverNames: Map<string, string>;
  onAuthFailure(error: GraphQLRequestError): void;
  onChange(silences: Silence[]): void;
  onServersPicked(servers: ServerChoice[]): void;
}

export function SilencesCard({ token, silences, serverNames, onAuthFailure, onChange, onServersPicked }: Props) {
  return (
    <ConfigCard
      name="silences"
      title="Silences"
      subtitle="Maintenance windows: alerts are recorded, not sent"
      empty="No silence. Open one before planned maintenance."
      tableLabel="Silences"
      columns={['Comment', 'When', 'Scope', 'Now']}
      items={silences}
      itemKey={(silence) => silence.id}
      rowData={(silence) => ({ 'data-silence': silence.comment })}
      cells={(silence) => (
        <>
          <td>{silence.comment}</td>
          <td>{silenceWhen(silence)}</td>
          <td>{scopeText(silence.serverIds, silence.tags, serverNames)}</td>
          <td>
            {silence.activeUntil ? <span class="pill pill-late">In force</span> : <span class="muted">not in force</span>}
            {silence.activeUntil ? (
              <span class="muted small block">
                ends <Ago iso={silence.activeUntil} />
              </span>
            ) : null}
          </td>
        </>
      )}
      confirm={{ title: (silence) => `Delete the silence “${silence.comment}”?`, label: 'Delete silence', consequence: 'Alerts it holds back that are still firing are sent now.' }}
      remove={(silence) => deleteSilence(token, silence.id)}
      onRemoved={(silence) => onChange(silences.filter((item) => item.id !== silence.id))}
      onAuthFailure={onAuthFailure}
    >
      <AddSilenceForm
        token={token}
        onAuthFailure={onAuthFailure}
        onAdded={(silence, servers) => {
          onServersPicked(servers);
          onChange([...silences, silence]);
        }}
      />
    </ConfigCard>
  );
}

/** The value a datetime-local input shows for an instant, in the browser's time zone. */
export function toLocalInput(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const SILENCE_FIELDS = ['comment', 'startsAt', 'endsAt', 'recurrence', 'days', 'startTime', 'durationMinutes', 'serverIds', 'tags'] as const;

function AddSilenceForm({ token, onAuthFailure, onAdded }: { token: string; onAuthFailure(error: GraphQLRequestError): void; onAdded(silence: Silence, servers: ServerChoice[]): void }) {
  const [comment, setComment] = useState('');
  const [weekly, setWeekly] = useState(false);
  const [startsAt, setStartsAt] = useState(() => toLocalInput(new Date()));
  const [endsAt, setEndsAt] = useState(() => toLocalInput(new Date(Date.now() + 3_600_000)));
  const [days, setDays] = useState<Weekday[]>(['SUN']);
  const [startTime, setStartTime] = useState('02:00');
  const [duration, setDuration] = useState('60');
  const [servers, setServers] = useState<ServerChoice[]>([]);
  const [tags, setTags] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const local: Errors = {};
    if (!comment.trim()) local.comment = 'Required: say why (e.g. "kernel upgrade").';
    const input: SilenceInput = { comment: comment.trim(), serverIds: servers.map((server) => server.id), tags: splitList(tags) };
    if (weekly) {
      if (days.length === 0) local.days = 'Pick at least one day.';
      if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(startTime)) local.startTime = 'HH:MM, 24-hour, UTC.';
      if (!/^\d+$/.test(duration.trim()) || Number(duration) < 1) local.durationMinutes = 'A whole number of minutes.';
      input.recurrence = { days, startTime, durationMinutes: Number(duration) };
    } else {
      const start = new Date(startsAt);
      const end = new Date(endsAt);
      if (Number.isNaN(start.getTime())) local.startsAt = 'A date and time.';
      if (Number.isNaN(end.getTime())) local.endsAt = 'A date and time.';
      else if (end <= start) local.endsAt = 'Must be after the start.';
      if (!local.startsAt && !local.endsAt) Object.assign(input, { startsAt: start.toISOString(), endsAt: end.toISOString() });
    }
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    try {
      const silence = await createSilence(token, input);
      onAdded(silence, servers);
      setComment('');
      setServers([]);
      setTags('');
      setErrors({});
    } catch (caught) {
      setErrors(mutationErrors(caught, SILENCE_FIELDS, onAuthFailure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="alert-form" onSubmit={submit} noValidate aria-labelledby="add-silence-title">
      <h3 id="add-silence-title">Add silence</h3>
      <div class="form-grid">
        <Field id="silence-comment" label="Comment" error={errors.comment} wide>
          <input {...described('silence-comment', errors.comment)} value={comment} autocomplete="off" onInput={(event) => setComment(event.currentTarget.value)} />
        </Field>
        <fieldset class="field checks">
          <legend class="field-label">Repeats</legend>
          <label class="check">
            <input type="radio" name="silence-mode" checked={!weekly} onChange={() => setWeekly(false)} />
            Once
          </label>
          <label class="check">
            <input type="radio" name="silence-mode" checked={weekly} onChange={() => setWeekly(true)} />
            Weekly
          </label>
        </fieldset>
        {weekly ? (
          <>
            <fieldset class="field checks">
              <legend class="field-label">Days</legend>
              {WEEKDAYS.map((day) => (
                <label key={day} class="check">
                  <input type="checkbox" checked={days.includes(day)} onChange={(event) => setDays(event.currentTarget.checked ? [...days, day] : days.filter((item) => item !== day))} />
                  {DAY_LABEL[day]}
                </label>
              ))}
              {errors.days ? <span class="field-error">{errors.days}</span> : null}
            </fieldset>
            <Field id="silence-startTime" label="Starts at (UTC)" hint="HH:MM" error={errors.startTime}>
              <input {...described('silence-startTime', errors.startTime, 'HH:MM')} value={startTime} placeholder="02:00" onInput={(event) => setStartTime(event.currentTarget.value)} />
            </Field>
            <Field id="silence-durationMinutes" label="Lasts (min)" error={errors.durationMinutes}>
              <input {...described('silence-durationMinutes', errors.durationMinutes)} value={duration} inputMode="numeric" onInput={(event) => setDuration(event.currentTarget.value)} />
            </Field>
          </>
        ) : (
          <>
            <Field id="silence-startsAt" label="Starts" error={errors.startsAt}>
              <input {...described('silence-startsAt', errors.startsAt)} type="datetime-local" value={startsAt} onInput={(event) => setStartsAt(event.currentTarget.value)} />
            </Field>
            <Field id="silence-endsAt" label="Ends" error={errors.endsAt}>
              <input {...described('silence-endsAt', errors.endsAt)} type="datetime-local" value={endsAt} onInput={(event) => setEndsAt(event.currentTarget.value)} />
            </Field>
          </>
        )}
        <Field id="silence-servers" label="Servers" hint="None and no tags: every server" error={errors.serverIds} wide>
          <ServerPicker id="silence-servers" token={token} selected={servers} onChange={setServers} />
        </Field>
        <Field id="silence-tags" label="Tags" hint="Optional, comma-separated" error={errors.tags}>
          <input {...described('silence-tags', errors.tags, 'Optional, comma-separated')} value={tags} autocomplete="off" onInput={(event) => setTags(event.currentTarget.value)} />
        </Field>
        <div class="form-submit">
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add silence'}
          </button>
        </div>
      </div>
      <FormError error={errors.form} />
    </form>
  );
}
