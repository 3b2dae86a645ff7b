import { FramedTcp, Tcp, Udp, Ws, type Transport } from 'message-io';

/** The transports of the ping-pong example, by their name on the command line (as in the Rust example). */
export const transports: Readonly<Record<string, Transport<never, never>>> = {
  tcp: Tcp,
  'framed-tcp': FramedTcp,
  udp: Udp,
  ws: Ws,
};

/** Looks up a transport by name, or exits with a usage message. */
export function transportByName(name: string | undefined, usage: string): Transport<never, never> {
  const transport = name === undefined ? undefined : transports[name];
  if (transport === undefined) {
    console.error(`usage: ${usage}\n  transports: ${Object.keys(transports).join(', ')}`);
    process.exit(2);
  }
  return transport;
}
