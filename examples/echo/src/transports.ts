import { FramedTcp, Ipc, Tcp, Udp, Ws, ipcUrl, type AddressInput, type Transport } from 'message-io';

/** A transport the examples can use, its name on the command line, and where it listens. */
export interface ExampleTransport {
  readonly name: string;
  readonly transport: Transport<never, never>;
  /** The address for a base port: 127.0.0.1 and a port offset from it, or a local socket name. Base 0: any free port. */
  readonly address: (base: number) => AddressInput;
}

const local =
  (offset: number) =>
  (base: number): AddressInput => ({ host: '127.0.0.1', port: base === 0 ? 0 : base + offset });

/** Every transport of the examples. The echo server listens on all of them. */
export const transports: readonly ExampleTransport[] = [
  { name: 'framed-tcp', transport: FramedTcp, address: local(0) },
  { name: 'tcp', transport: Tcp, address: local(1) },
  { name: 'udp', transport: Udp, address: local(0) },
  { name: 'ws', transport: Ws, address: local(2) },
  // A Linux abstract socket name: nothing to clean up on disk.
  { name: 'ipc', transport: Ipc, address: (base) => ipcUrl(`@message-io-echo-${base === 0 ? process.pid : base}`) },
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
