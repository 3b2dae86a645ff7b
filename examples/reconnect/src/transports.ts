// The transports these programs take by name on the command line.
import { FramedTcp, Ipc, Tcp, Ws, type Transport } from 'message-io';

/** The transport named `name` (framed-tcp, tcp, ws, ipc); exits with a usage line for another name. */
export function transportNamed(name: string | undefined): Transport<object, object> {
  const transports: Record<string, Transport<object, object>> = {
    'framed-tcp': FramedTcp,
    tcp: Tcp,
    ws: Ws,
    ipc: Ipc,
  };
  const transport = name === undefined ? undefined : transports[name];
  if (transport === undefined) {
    console.error(`the transport is one of ${Object.keys(transports).join(', ')}`);
    process.exit(2);
  }
  return transport;
}
