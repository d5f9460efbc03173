// A table that renders only the rows in view (plus a few), however many it has: its own scroll
// box, a fixed row height, and two spacer rows standing in for everything above and below. Rows
// that are not loaded yet render as placeholders; the owner is told which rows are in view so it
// can fetch them. Heights are set through the style object (CSSOM), which our CSP allows.
import type { ComponentChildren, VNode } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/** Matches `.vtable .vrow > td { height }` in styles.css; the real height is measured once rendered. */
export const ROW_HEIGHT = 46;
/** Rows rendered beyond each edge of the view, so a quick scroll does not show blank space. */
const OVERSCAN = 8;

export interface VirtualTableProps<T> {
  label: string;
  className?: string;
  /** The header row's cells. */
  head: ComponentChildren;
  columnCount: number;
  count: number;
  rowAt(index: number): T | undefined;
  renderRow(row: T, index: number): VNode;
  /** Rows [first, last) are rendered (in view plus overscan). */
  onRange(first: number, last: number): void;
  /** Scrolls back to the top whenever this changes (a new filter or order). */
  resetKey?: unknown;
}

export function VirtualTable<T>({ label, className, head, columnCount, count, rowAt, renderRow, onRange, resetKey }: VirtualTableProps<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600, rowHeight: ROW_HEIGHT, headHeight: 0 });
  const frame = useRef<number | null>(null);

  const measure = useCallback(() => {
    frame.current = null;
    const box = scroller.current;
    if (!box) return;
    const row = box.querySelector<HTMLElement>('tbody tr.vrow');
    const headHeight = box.querySelector('thead')?.offsetHeight ?? 0;
    setView((current) => {
      const rowHeight = row?.offsetHeight || current.rowHeight;
      const next = { top: box.scrollTop, height: box.clientHeight, rowHeight, headHeight };
      return next.top === current.top && next.height === current.height && next.rowHeight === current.rowHeight && next.headHeight === current.headHeight
        ? current
        : next;
    });
  }, []);
  const schedule = useCallback(() => {
    frame.current ??= requestAnimationFrame(measure);
  }, [measure]);

  useEffect(() => {
    const box = scroller.current!;
    const observer = new ResizeObserver(schedule);
    observer.observe(box);
    return () => {
      observer.disconnect();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [schedule]);

  useLayoutEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0;
    schedule();
  }, [resetKey, schedule]);

  const bodyTop = Math.max(0, view.top - view.headHeight);
  const visibleFirst = Math.min(count, Math.floor(bodyTop / view.rowHeight));
  const visibleLast = Math.min(count, Math.ceil((bodyTop + view.height) / view.rowHeight));
  const first = Math.max(0, visibleFirst - OVERSCAN);
  const last = Math.min(count, visibleLast + OVERSCAN);

  // The rendered rows, overscan included: those are the ones rowAt is asked for, so a block that
  // covers only the visible rows would leave the overscan rows as placeholders for good.
  useEffect(() => onRange(first, Math.max(last, first + 1)), [first, last, onRange]);
  // The first rows decide the measured height (fonts, zoom): measure once they are in.
  useLayoutEffect(() => {
    if (count > 0) schedule();
  }, [count > 0, schedule]);

  const rows: VNode[] = [];
  for (let index = first; index < last; index++) {
    const row = rowAt(index);
    rows.push(
      row === undefined ? (
        <tr key={`placeholder-${index}`} class="vrow vrow-loading" aria-busy="true">
          <td colSpan={columnCount}>
            <span class="muted">Loading…</span>
          </td>
        </tr>
      ) : (
        renderRow(row, index)
      ),
    );
  }
  return (
    <div
      ref={scroller}
      class={`table-wrap vtable${className ? ` ${className}` : ''}`}
      data-testid="server-scroller"
      data-view={`${visibleFirst}-${visibleLast}`}
      tabIndex={0}
      onScroll={schedule}
    >
      <table class="servers" aria-label={label} aria-rowcount={count + 1}>
        <thead>{head}</thead>
        <tbody>
          <tr class="vspacer" aria-hidden="true" style={{ height: `${first * view.rowHeight}px` }} />
          {rows}
          <tr class="vspacer" aria-hidden="true" style={{ height: `${(count - last) * view.rowHeight}px` }} />
        </tbody>
      </table>
    </div>
  );
}
