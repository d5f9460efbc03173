// Add Server, with the server's validation and conflict errors shown next to the field they
// concern (the backend names the field in its message, e.g. "identifier: …").
import { useRef, useState } from 'preact/hooks';
import { GraphQLRequestError } from '../shared/graphql.ts';
import { addServer, type AddServerInput, type Server } from './api.ts';

type Field = 'identifier' | 'name' | 'intervalSeconds' | 'graceSeconds';
type Errors = Partial<Record<Field | 'form', string>>;
const FIELDS: Field[] = ['identifier', 'name', 'intervalSeconds', 'graceSeconds'];

interface Props {
  token: string;
  onAdded(server: Server): void;
  onAuthFailure(error: GraphQLRequestError): void;
}

/** Empty means "use the server's default"; anything else must be a whole number. */
function parseSeconds(raw: string): number | undefined | 'invalid' {
  const value = raw.trim();
  if (!value) return undefined;
  return /^\d+$/.test(value) ? Number(value) : 'invalid';
}

export function AddServerForm({ token, onAdded, onAuthFailure }: Props) {
  const [values, setValues] = useState<Record<Field, string>>({ identifier: '', name: '', intervalSeconds: '', graceSeconds: '' });
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const set = (field: Field) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setValues((current) => ({ ...current, [field]: value }));
    // Clear a field's error as soon as it is edited; the rest stay until the next submit.
    setErrors((current) => (current[field] ? { ...current, [field]: undefined } : current));
  };

  const showErrors = (next: Errors) => {
    setErrors(next);
    // Move focus to the first field in error so keyboard and screen-reader users land on it.
    const first = FIELDS.find((field) => next[field]);
    if (first) requestAnimationFrame(() => form.current?.querySelector<HTMLInputElement>(`[name="${first}"]`)?.focus());
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const identifier = values.identifier.trim();
    const interval = parseSeconds(values.intervalSeconds);
    const grace = parseSeconds(values.graceSeconds);
    const local: Errors = {};
    if (!identifier) local.identifier = 'Required: the identifier the plugin reports (e.g. web-01).';
    if (interval === 'invalid') local.intervalSeconds = 'A whole number of seconds.';
    if (grace === 'invalid') local.graceSeconds = 'A whole number of seconds.';
    if (Object.keys(local).length) return showErrors(local);

    const input: AddServerInput = { identifier };
    if (values.name.trim()) input.name = values.name.trim();
    if (typeof interval === 'number') input.intervalSeconds = interval;
    if (typeof grace === 'number') input.graceSeconds = grace;

    setBusy(true);
    try {
      const server = await addServer(token, input);
      setValues({ identifier: '', name: '', intervalSeconds: '', graceSeconds: '' });
      setErrors({});
      onAdded(server);
    } catch (caught) {
      const failure = caught as GraphQLRequestError;
      if (failure.isAuthFailure) {
        onAuthFailure(failure);
      } else if (failure.code === 'CONFLICT') {
        // A conflict on addServer can only be about the identifier, whatever the message's shape.
        showErrors({ identifier: failure.fieldErrors.identifier ?? failure.message });
      } else {
        const next: Errors = {};
        for (const field of FIELDS) if (failure.fieldErrors[field]) next[field] = failure.fieldErrors[field];
        // Anything not tied to one of our fields is shown under the form, in full.
        showErrors(Object.keys(next).length ? next : { form: failure.message });
      }
    } finally {
      setBusy(false);
    }
  };

  // The <label> holds only the label text, so the input's accessible name is exactly "Identifier";
  // hints and errors are linked with aria-describedby instead.
  const input = (field: Field, label: string, hint: string, extra: Record<string, unknown> = {}) => (
    <div class={`field field-${field}`}>
      <label class="field-label" for={`add-${field}`}>
        {label}
      </label>
      <input
        id={`add-${field}`}
        name={field}
        value={values[field]}
        onInput={set(field)}
        aria-invalid={errors[field] ? true : undefined}
        aria-describedby={`add-${field}-${errors[field] ? 'error' : 'hint'}`}
        autocomplete="off"
        spellcheck={false}
        {...extra}
      />
      {errors[field] ? (
        <span id={`add-${field}-error`} class="field-error" data-testid={`error-${field}`}>
          {errors[field]}
        </span>
      ) : (
        <span id={`add-${field}-hint`} class="field-hint">
          {hint}
        </span>
      )}
    </div>
  );

  return (
    <form ref={form} class="card add-server" onSubmit={submit} noValidate aria-labelledby="add-server-title">
      <h2 id="add-server-title">Add Server</h2>
      <div class="add-grid">
        {input('identifier', 'Identifier', 'As set in the plugin config, e.g. web-01', { required: true, 'aria-required': 'true' })}
        {input('name', 'Display name', 'Optional; defaults to the identifier')}
        {input('intervalSeconds', 'Interval (s)', 'Optional; default 30', { inputMode: 'numeric', placeholder: '30' })}
        {input('graceSeconds', 'Grace (s)', 'Optional; default 60', { inputMode: 'numeric', placeholder: '60' })}
        <div class="add-submit">
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add Server'}
          </button>
        </div>
      </div>
      {errors.form ? (
        <p class="form-error" role="alert">
          {errors.form}
        </p>
      ) : null}
      {/* Announce field errors too: they appear away from the submit button the user is on. */}
      <p class="offscreen" role="alert">
        {FIELDS.filter((field) => errors[field]).map((field) => errors[field]).join(' ')}
      </p>
    </form>
  );
}
