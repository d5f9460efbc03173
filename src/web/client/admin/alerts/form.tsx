// Small form pieces for the Alerts section: a labelled field with its hint or error, and the
// helper that sorts a failed mutation's message into per-field errors.
import type { ComponentChildren } from 'preact';
import { GraphQLRequestError } from '../../shared/graphql.ts';

export type Errors = Record<string, string | undefined>;

export function Field({ id, label, hint, error, children, wide }: { id: string; label: string; hint?: string; error?: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <div class={`field${wide ? ' field-wide' : ''}`}>
      <label class="field-label" for={id}>
        {label}
      </label>
      {children}
      {error ? (
        <span id={`${id}-error`} class="field-error" data-testid={`error-${id}`}>
          {error}
        </span>
      ) : hint ? (
        <span id={`${id}-hint`} class="field-hint">
          {hint}
        </span>
      ) : null}
    </div>
  );
}

/** aria attributes that tie an input to its error or hint. */
export function described(id: string, error?: string, hint?: string) {
  return {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : hint ? `${id}-hint` : undefined,
  };
}

/**
 * A failed mutation's errors, sorted into the fields the form knows ("settings.url: …" lands on
 * url); everything else goes to `form`. Auth failures are handed on.
 */
export function mutationErrors(caught: unknown, fields: readonly string[], onAuthFailure: (error: GraphQLRequestError) => void): Errors {
  const failure = caught as GraphQLRequestError;
  if (failure?.isAuthFailure) {
    onAuthFailure(failure);
    return {};
  }
  const errors: Errors = {};
  for (const field of fields) if (failure.fieldErrors?.[field]) errors[field] = failure.fieldErrors[field];
  if (Object.keys(errors).length === 0) errors.form = failure?.message ?? String(caught);
  return errors;
}

export function FormError({ error }: { error?: string }) {
  return error ? (
    <p class="form-error" role="alert">
      {error}
    </p>
  ) : null;
}

/** After deleting a row its button is gone: keyboard focus goes to the card's heading instead of the page's start. */
export function focusHeadingSoon(id: string): void {
  requestAnimationFrame(() => document.getElementById(id)?.focus());
}

/** "a, b ,c" → ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
