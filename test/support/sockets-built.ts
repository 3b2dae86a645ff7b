// Counts the `net.Socket`s the servers of this process build for what they accept, for the tests
// that check a listener serves its connections on their handle instead (node-net's acceptHandles).
import { Server } from 'node:net';

const emit = Server.prototype.emit;

/**
 * Counts the `'connection'` events of every `net.Server` from now on: one per `net.Socket` a
 * server builds for a connection it accepts. Call {@link stopCounting} after the test.
 */
export function countSocketsBuilt(): { readonly count: number } {
  const seen = { count: 0 };
  const counting = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection') seen.count++;
    return (emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  };
  Server.prototype.emit = counting as typeof emit;
  return seen;
}

/** Puts `net.Server`'s own `emit` back. */
export function stopCounting(): void {
  Server.prototype.emit = emit;
}
