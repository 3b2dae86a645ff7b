// One log line per connection, from message-io's diagnostics channels: accepted, ended (with the
// reason), refused (with the reason and the peer). No logger needed; swap console.log for yours.
import { subscribe } from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, type AcceptDiagnostic, type DisconnectDiagnostic, type RefuseDiagnostic } from 'message-io';

/** Prints a line for every connection a node accepts, loses or refuses. */
export function logConnections(): void {
  subscribe(DIAGNOSTICS_CHANNELS.accept, (message) => {
    const { endpoint } = message as AcceptDiagnostic;
    console.log(`accept ${endpoint.addr}`);
  });
  subscribe(DIAGNOSTICS_CHANNELS.disconnect, (message) => {
    const { endpoint, reason, error } = message as DisconnectDiagnostic;
    console.log(`disconnect ${endpoint.addr} ${reason}${error === undefined ? '' : `: ${error.message}`}`);
  });
  subscribe(DIAGNOSTICS_CHANNELS.refuse, (message) => {
    const { addr, reason, detail } = message as RefuseDiagnostic;
    console.log(`refuse ${addr ?? '(no address)'} ${reason}${detail === undefined ? '' : `: ${detail}`}`);
  });
}
