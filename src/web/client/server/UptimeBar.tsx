// The last 90 days, one bar per UTC day, coloured by that day's uptime.
import type { UptimeDay } from './data.ts';
import { formatRatio } from './data.ts';

function level(ratio: number | null): string {
  if (ratio == null) return 'none';
  if (ratio >= 0.999) return 'ok';
  if (ratio >= 0.95) return 'warn';
  return 'bad';
}

export function UptimeBar({ days }: { days: UptimeDay[] }) {
  return (
    <div class="uptime-bar" role="img" aria-label={`Uptime per day over the last ${days.length} days`}>
      {days.map((day) => (
        <span
          key={day.day}
          class={`uptime-day uptime-${level(day.ratio)}`}
          data-ratio={day.ratio ?? ''}
          title={`${day.day.slice(0, 10)}: ${day.ratio == null ? 'no data' : formatRatio(day.ratio)}`}
        />
      ))}
    </div>
  );
}
