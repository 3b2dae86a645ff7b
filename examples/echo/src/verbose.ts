// `--verbose`: one readable line per diagnostics message of message-io, on stderr, with no logger.
import { subscribe } from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, ResourceId } from 'message-io';

/** Prints every message published on message-io's diagnostics channels. */
export function logDiagnostics(): void {
  const plain = (_key: string, value: unknown): unknown => (value instanceof ResourceId ? String(value) : value);
  for (const name of Object.values(DIAGNOSTICS_CHANNELS)) {
    subscribe(name, (message) => {
      const { endpoint, error, ...rest } = message as { endpoint?: { addr: string }; error?: Error };
      const who = endpoint === undefined ? '' : ` ${endpoint.addr}`;
      const why = error === undefined ? '' : ` (${error.message})`;
      console.error(`${name}${who} ${JSON.stringify(rest, plain)}${why}`);
    });
  }
}
