// Notification channels: the list with each channel's health (last success, last error), a Test
// button that shows what the service answered, Delete, and a form to add one of any kind.
import { useState } from 'preact/hooks';
import { Ago } from '../../shared/components.tsx';
import { GraphQLRequestError } from '../../shared/graphql.ts';
import { ConfigCard } from './ConfigCard.tsx';
import { createChannel, deleteChannel, testChannel, type Channel, type ChannelKind } from './api.ts';
import { CHANNEL_FIELDS, CHANNEL_KINDS, channelSummary, KIND_LABEL, settingsFromForm, type FormValues } from './channel-fields.ts';
import { described, Field, FormError, mutationErrors, type Errors } from './form.tsx';

interface Props {
  token: string;
  channels: Channel[];
  onAuthFailure(error: GraphQLRequestError): void;
  onChange(channels: Channel[]): void;
}

type TestOutcome = { busy: true } | { busy: false; ok: boolean; error: string | null };

export function ChannelsCard({ token, channels, onAuthFailure, onChange }: Props) {
  const [tests, setTests] = useState<Record<string, TestOutcome>>({});

  const test = async (channel: Channel) => {
    setTests((current) => ({ ...current, [channel.id]: { busy: true } }));
    try {
      const result = await testChannel(token, channel.id);
      setTests((current) => ({ ...current, [channel.id]: { busy: false, ok: result.ok, error: result.error } }));
      onChange(channels.map((item) => (item.id === channel.id ? result.channel : item)));
    } catch (caught) {
      const failure = caught as GraphQLRequestError;
      if (failure.isAuthFailure) return onAuthFailure(failure);
      setTests((current) => ({ ...current, [channel.id]: { busy: false, ok: false, error: failure.message } }));
    }
  };

  return (
    <ConfigCard
      name="channels"
      title="Channels"
      subtitle="Where notifications go"
      empty="No channel yet. Add one below, then send it a test."
      tableLabel="Notification channels"
      columns={['Channel', 'Kind', 'Health']}
      items={channels}
      itemKey={(channel) => channel.id}
      rowData={(channel) => ({ 'data-channel': channel.name })}
      cells={(channel) => (
        <>
          <td>
            <span class="server-name">{channel.name}</span>
            <span class="server-id">{channelSummary(channel.kind, channel.settings)}</span>
            {channel.secretsSet.length ? <span class="muted small">secret set: {channel.secretsSet.join(', ')}</span> : null}
          </td>
          <td>
            {KIND_LABEL[channel.kind] ?? channel.kind}
            {channel.enabled ? null : <span class="muted small"> (disabled)</span>}
          </td>
          <td class="health">
            <Health channel={channel} />
            <TestResult outcome={tests[channel.id]} />
          </td>
        </>
      )}
      actions={(channel) => (
        <button type="button" class="button button-small" disabled={tests[channel.id]?.busy} onClick={() => test(channel)}>
          {tests[channel.id]?.busy ? 'Testing…' : 'Test'}
        </button>
      )}
      confirm={{
        title: (channel) => `Delete the channel ${channel.name}?`,
        label: 'Delete channel',
        consequence: 'Rules that use it stop notifying through it, and its undelivered notifications are dropped.',
      }}
      remove={(channel) => deleteChannel(token, channel.id)}
      onRemoved={(channel) => onChange(channels.filter((item) => item.id !== channel.id))}
      onAuthFailure={onAuthFailure}
    >
      <AddChannelForm token={token} onAuthFailure={onAuthFailure} onAdded={(channel) => onChange([...channels, channel])} />
    </ConfigCard>
  );
}

function Health({ channel }: { channel: Channel }) {
  if (!channel.lastSuccessAt && !channel.lastErrorAt) return <span class="muted">Nothing sent yet</span>;
  return (
    <span class={`health-line ${channel.healthy ? 'health-ok' : 'health-failing'}`} data-healthy={String(channel.healthy)}>
      <span class="health-state">{channel.healthy ? 'Working' : 'Failing'}</span>
      {channel.lastSuccessAt ? (
        <span class="small">
          last success <Ago iso={channel.lastSuccessAt} />
        </span>
      ) : null}
      {channel.lastErrorAt ? (
        <span class="small" title={channel.lastError ?? ''}>
          last error <Ago iso={channel.lastErrorAt} />: {channel.lastError}
        </span>
      ) : null}
    </span>
  );
}

function TestResult({ outcome }: { outcome?: TestOutcome }) {
  if (!outcome || outcome.busy) return null;
  return (
    <span role="status" class={`test-result ${outcome.ok ? 'test-ok' : 'test-failed'}`} data-testid="test-result">
      {outcome.ok ? 'Test sent.' : `Test failed: ${outcome.error ?? 'unknown error'}`}
    </span>
  );
}

function AddChannelForm({ token, onAuthFailure, onAdded }: { token: string; onAuthFailure(error: GraphQLRequestError): void; onAdded(channel: Channel): void }) {
  const [kind, setKind] = useState<ChannelKind>('WEBHOOK');
  const [name, setName] = useState('');
  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const fields = CHANNEL_FIELDS[kind];

  const submit = async (event: Event) => {
    event.preventDefault();
    const { settings, errors: local } = settingsFromForm(kind, values);
    if (!name.trim()) local.name = 'Required.';
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    try {
      const channel = await createChannel(token, { name: name.trim(), kind, settings });
      setName('');
      setValues({});
      setErrors({});
      onAdded(channel);
    } catch (caught) {
      setErrors(mutationErrors(caught, ['name', ...fields.map((field) => field.name)], onAuthFailure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="alert-form" onSubmit={submit} noValidate aria-labelledby="add-channel-title">
      <h3 id="add-channel-title">Add channel</h3>
      <div class="form-grid">
        <Field id="channel-kind" label="Kind">
          <select
            id="channel-kind"
            value={kind}
            onChange={(event) => {
              setKind(event.currentTarget.value as ChannelKind);
              setErrors({});
            }}
          >
            {CHANNEL_KINDS.map((option) => (
              <option key={option.kind} value={option.kind}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="channel-name" label="Name" error={errors.name}>
          <input {...described('channel-name', errors.name)} value={name} autocomplete="off" onInput={(event) => setName(event.currentTarget.value)} />
        </Field>
        {fields.map((field) => {
          const id = `channel-${field.name}`;
          const error = errors[field.name];
          if (field.type === 'boolean') {
            return (
              <label key={`${kind}-${field.name}`} class="check">
                <input type="checkbox" checked={values[field.name] === true} onChange={(event) => setValues({ ...values, [field.name]: event.currentTarget.checked })} />
                {field.label}
              </label>
            );
          }
          return (
            <Field key={`${kind}-${field.name}`} id={id} label={field.label} hint={field.hint} error={error}>
              <input
                {...described(id, error, field.hint)}
                type={field.type === 'secret' ? 'password' : 'text'}
                inputMode={field.type === 'number' ? 'numeric' : field.type === 'url' ? 'url' : undefined}
                value={String(values[field.name] ?? '')}
                placeholder={field.placeholder}
                autocomplete={field.type === 'secret' ? 'new-password' : 'off'}
                spellcheck={false}
                aria-required={field.required ? 'true' : undefined}
                onInput={(event) => {
                  setValues({ ...values, [field.name]: event.currentTarget.value });
                  if (error) setErrors({ ...errors, [field.name]: undefined });
                }}
              />
            </Field>
          );
        })}
        <div class="form-submit">
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add channel'}
          </button>
        </div>
      </div>
      <FormError error={errors.form} />
    </form>
  );
}
