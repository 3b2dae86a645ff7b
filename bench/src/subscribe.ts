// A subscriber to every diagnostics channel of message-io, for measuring what one costs: it counts
// the messages of each channel, as a metrics exporter would.
import { subscribe } from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS } from '@message-io/core';

/** Messages seen per channel name. */
export const seen: Map<string, number> = new Map();

/** Subscribes a counting handler to each channel message-io publishes on. */
export function subscribeToEveryChannel(): void {
  for (const name of Object.values(DIAGNOSTICS_CHANNELS)) {
    seen.set(name, 0);
    subscribe(name, () => void seen.set(name, seen.get(name)! + 1));
  }
}
