// The card the Alerts section shows channels, rules and silences in: a heading (focused again after
// a delete, since the row's button is gone), the empty state or a table with one row per item and
// a Delete button behind a confirmation, then the card's add form.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { GraphQLRequestError } from '../../shared/graphql.ts';
import { ConfirmDialog } from '../dialogs.tsx';
import { focusHeadingSoon } from './form.tsx';

export interface ConfigCardProps<T> {
  /** Prefix of the heading's id (`${name}-title`). */
  name: string;
  title: string;
  subtitle: string;
  empty: string;
  tableLabel: string;
  columns: string[];
  items: T[];
  itemKey(item: T): string;
  /** data-* attributes of the item's row (tests find rows by them). */
  rowData(item: T): Record<`data-${string}`, string>;
  /** The item's cells before the actions cell. */
  cells(item: T): ComponentChildren;
  /** Buttons before Delete. */
  actions?(item: T): ComponentChildren;
  confirm: { title(item: T): string; label: string; consequence: string };
  remove(item: T): Promise<void>;
  onRemoved(item: T): void;
  onAuthFailure(error: GraphQLRequestError): void;
  /** The add form. */
  children: ComponentChildren;
}

export function ConfigCard<T>(props: ConfigCardProps<T>) {
  const [deleting, setDeleting] = useState<T | null>(null);
  const headingId = `${props.name}-title`;
  return (
    <section class="card alerts-card" aria-labelledby={headingId}>
      <div class="card-head">
        <h2 id={headingId} tabIndex={-1}>
          {props.title}
        </h2>
        <span class="muted small">{props.subtitle}</span>
      </div>
      {props.items.length === 0 ? (
        <p class="empty">{props.empty}</p>
      ) : (
        <div class="table-wrap">
          <table class="servers alert-table" aria-label={props.tableLabel}>
            <thead>
              <tr>
                {props.columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
                <th scope="col">
                  <span class="offscreen">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((item) => (
                <tr key={props.itemKey(item)} {...props.rowData(item)}>
                  {props.cells(item)}
                  <td class="actions">
                    {props.actions?.(item)}
                    <button type="button" class="button button-small button-danger-quiet" onClick={() => setDeleting(() => item)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.children}
      {deleting ? (
        <ConfirmDialog
          title={props.confirm.title(deleting)}
          confirmLabel={props.confirm.label}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await props.remove(deleting);
            } catch (caught) {
              if ((caught as GraphQLRequestError).isAuthFailure) props.onAuthFailure(caught as GraphQLRequestError);
              throw caught;
            }
            props.onRemoved(deleting);
            setDeleting(null);
            focusHeadingSoon(headingId);
          }}
        >
          <p>{props.confirm.consequence}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
