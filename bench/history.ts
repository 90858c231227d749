// Weight of one run as its Temporal history shows it: activities scheduled, events, and the largest
// payload anywhere in it (inputs, results, heartbeats, failures, memos, search attributes). Pure.
import type { HistoryFigures } from './results.js';

interface EventLike {
  activityTaskScheduledEventAttributes?: unknown;
}

function isPayload(v: object): v is { data: Uint8Array } {
  return 'data' in v && (v as { data: unknown }).data instanceof Uint8Array && 'metadata' in v;
}

/** Byte length of the largest payload data found anywhere under `value`. */
export function largestPayload(value: unknown): number {
  let max = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue;
    if (isPayload(v)) max = Math.max(max, v.data.byteLength);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return max;
}

export function historyFigures(history: { events?: readonly EventLike[] | null }): HistoryFigures {
  const events = history.events ?? [];
  return {
    activities: events.filter((e) => e.activityTaskScheduledEventAttributes != null).length,
    events: events.length,
    maxPayloadBytes: largestPayload(events),
  };
}

/** The heaviest of several runs, figure by figure. */
export function heaviest(all: readonly HistoryFigures[]): HistoryFigures | null {
  if (all.length === 0) return null;
  return {
    activities: Math.max(...all.map((h) => h.activities)),
    events: Math.max(...all.map((h) => h.events)),
    maxPayloadBytes: Math.max(...all.map((h) => h.maxPayloadBytes)),
  };
}
