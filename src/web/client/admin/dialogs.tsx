// Modal dialogs built on the native <dialog> element: showModal() gives us the focus trap,
// Escape to close, an inert background and the right ARIA role without any library.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { GraphQLRequestError } from '../shared/graphql.ts';
import { openclawConfig, type Server } from './api.ts';

interface ModalProps {
  title: string;
  onClose(): void;
  children: ComponentChildren;
  class?: string;
}

export function Modal({ title, onClose, children, class: className }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current!;
    // Give focus back to whatever opened the dialog (the row's button) when it goes away.
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`modal ${className ?? ''}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault(); // we unmount it ourselves, which also restores focus
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm(): Promise<void>;
  onCancel(): void;
}

/** Asks before a destructive action; the action runs inside so its error can be shown in place. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel }: ConfirmProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title={title} onClose={() => !busy && onCancel()}>
      <div class="modal-body">{children}</div>
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="modal-actions">
        {/* Cancel comes first and takes focus: Enter on a destructive dialog should not destroy. */}
        <button type="button" class="button" onClick={onCancel} disabled={busy} autofocus>
          Cancel
        </button>
        <button
          type="button"
          class="button button-danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await onConfirm();
            } catch (caught) {
              setError((caught as GraphQLRequestError).message);
              setBusy(false);
            }
          }}
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

/** Copies text, falling back to a selection + execCommand where the Clipboard API is unavailable
 *  (it needs a secure context, and plain http://<lan-ip>:4000 is not one). */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2_500);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <>
      <button type="button" class="button" onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}>
        {label}
      </button>
      <span class="copy-feedback" role="status">
        {state === 'copied' ? 'Copied.' : state === 'failed' ? 'Copy failed: select the text and press Ctrl+C.' : ''}
      </span>
    </>
  );
}

/** Shows a freshly generated key exactly once, with the plugin configuration around it. */
export function KeyDialog({ server, apiKey, onClose }: { server: Server; apiKey: string; onClose(): void }) {
  const config = openclawConfig(location.origin, apiKey, server);
  return (
    <Modal title={`API key for ${server.name}`} onClose={onClose} class="modal-wide">
      <p class="notice notice-warn">
        Copy the key now: it is shown only this once and cannot be retrieved later. Generating another key for{' '}
        <strong>{server.identifier}</strong> replaces this one, and the old key stops working immediately.
      </p>
      <div class="field">
        <label class="field-label" for="generated-api-key">
          API key
        </label>
        <span class="copy-row">
          <input
            id="generated-api-key"
            class="mono"
            type="text"
            readOnly
            value={apiKey}
            data-testid="api-key"
            spellcheck={false}
            // Focus starts on the key, selected, ready for Ctrl+C, and not on "Done", where a
            // reflexive Enter would close the dialog and lose the key for good.
            autofocus
            onFocus={(event) => event.currentTarget.select()}
          />
          <CopyButton text={apiKey} label="Copy key" />
        </span>
      </div>
      <div class="field">
        <span class="field-label" id="openclaw-config-label">
          Plugin configuration for <code>~/.openclaw/openclaw.json</code> on {server.identifier}
        </span>
        <pre class="code" aria-labelledby="openclaw-config-label" tabIndex={0} data-testid="openclaw-config">
          <code>{config}</code>
        </pre>
        <span class="copy-row">
          <CopyButton text={config} label="Copy configuration" />
        </span>
        <p class="muted small">
          Merge it into the file (keep any other plugins you have), then restart the OpenClaw gateway. The plugin's
          sidecar starts reporting and the server turns Online here.
        </p>
      </div>
      <div class="modal-actions">
        <button type="button" class="button button-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}
