import { FramedTcp, Tcp, type Transport } from 'message-io';

/** The transports the examples can use, by the name given on the command line. */
export const transports: Record<string, Transport<never, never>> = { tcp: Tcp, 'framed-tcp': FramedTcp };

/** Looks up a transport by name, or exits with the list of names. */
export function transportByName(name: string): Transport<never, never> {
  const transport = transports[name];
  if (transport === undefined) {
    console.error(`unknown transport ${name}: use one of ${Object.keys(transports).join(', ')}`);
    process.exit(2);
  }
  return transport;
}
