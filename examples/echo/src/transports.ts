import { FramedTcp, Tcp, Udp, Ws, type Transport } from 'message-io';

/** A transport the examples can use, its name on the command line, and its port offset from 3042. */
export interface ExampleTransport {
  readonly name: string;
  readonly transport: Transport<never, never>;
  readonly portOffset: number;
}

/** Every transport of the examples. The echo server listens on all of them. */
export const transports: readonly ExampleTransport[] = [
  { name: 'framed-tcp', transport: FramedTcp, portOffset: 0 },
  { name: 'tcp', transport: Tcp, portOffset: 1 },
  { name: 'udp', transport: Udp, portOffset: 0 },
  { name: 'ws', transport: Ws, portOffset: 2 },
];

/** Looks up a transport by name, or exits with the list of names. */
export function transportByName(name: string): ExampleTransport {
  const found = transports.find((t) => t.name === name);
  if (found === undefined) {
    console.error(`unknown transport ${name}: use one of ${transports.map((t) => t.name).join(', ')}`);
    process.exit(2);
  }
  return found;
}
