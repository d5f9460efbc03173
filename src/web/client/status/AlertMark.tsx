// The firing-alert mark on a status page row: words plus colour, like the status pills.
export function AlertMark({ count }: { count: number | null | undefined }) {
  if (!count) return null;
  const text = `${count} alert${count === 1 ? '' : 's'}`;
  return (
    <span class="alert-mark" title={`${text} firing`} data-firing={count}>
      <span aria-hidden="true">!</span> {text}
    </span>
  );
}
