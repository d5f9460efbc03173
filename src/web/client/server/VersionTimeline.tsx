// The server's OpenClaw/plugin version and agents changes over the last year, newest first: the
// companion of the status-change timeline.
import { formatTimestamp } from '../shared/format.ts';
import type { VersionStep } from './versions.ts';

export function VersionTimeline({ steps, error }: { steps: VersionStep[] | null; error: string | null }) {
  return (
    <section class="server-versions" aria-label="Version changes">
      <h2>
        Version changes <span class="muted">(last year, newest first)</span>
      </h2>
      {error ? (
        <p class="notice notice-error" role="alert">
          {error}
        </p>
      ) : steps == null ? (
        <p class="loading" role="status">
          Loading version changes…
        </p>
      ) : steps.length === 0 ? (
        <p class="muted">No versions reported in the last year.</p>
      ) : (
        <ol class="timeline version-timeline">
          {steps.map((step) => (
            <li key={step.at} data-first={step.first ? 'true' : undefined}>
              <time dateTime={step.at}>{formatTimestamp(step.at)}</time>{' '}
              {step.first ? <span class="muted">first reported: </span> : null}
              {step.changes.map((change, i) => (
                <span class="version-change" key={change.what} data-what={change.what}>
                  {i > 0 ? ' · ' : null}
                  {change.what}{' '}
                  {change.from != null ? (
                    <>
                      <span class="muted">{change.from}</span> → <strong>{change.to}</strong>
                    </>
                  ) : (
                    <strong>{change.to}</strong>
                  )}
                </span>
              ))}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
