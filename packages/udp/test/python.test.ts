// Interoperability with a peer that no line of ours wrote: Python's socket module.
import { afterEach, describe, expect, it } from 'vitest';
import { SendStatus } from '@message-io/core';
import { Udp } from '@message-io/udp';
import { skipWithout } from '../../../test/support/peers.js';
import { portOf, runPython, stopNodes, testNode } from './support.js';

const T = 15_000;
afterEach(stopNodes);

const CLIENT = `
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b'ping from python', (host, port))
data, addr = s.recvfrom(70000)
print('answer', data.decode(), addr[1] == port, flush=True)
`;

const SERVER = `
import socket, sys
host = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.bind((host, 0))
print('ready', s.getsockname()[1], flush=True)
data, addr = s.recvfrom(70000)
s.sendto(b'python got: ' + data, addr)
print('done', len(data), flush=True)
`;

describe.skipIf(skipWithout('python3')).each(['127.0.0.1', '::1'])('Python over %s', (host) => {
  const bind = host.includes(':') ? `[${host}]:0` : `${host}:0`;

  it(
    'a datagram sent by Python is a message; the answer through its endpoint reaches Python',
    async () => {
      const server = testNode((event, handler) => {
        if (event.type === 'message') handler.network().send(event.endpoint, Buffer.from(`pong: ${Buffer.from(event.data).toString()}`));
      });
      const { id, addr } = await server.handler.network().listen(Udp, bind);
      const result = await runPython(CLIENT, [host, String(portOf(addr))]);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('answer pong: ping from python True');
      const got = server.events.find((e) => e.type === 'message');
      expect(got?.type === 'message' && got.endpoint.resourceId).toBe(id);
      expect(got?.type === 'message' && Buffer.from(got.data).toString()).toBe('ping from python');
    },
    T,
  );

  it(
    'a connection to a Python socket sends a message and receives the answer',
    async () => {
      const client = testNode();
      let sent: Promise<unknown> = Promise.resolve();
      const result = await runPython(SERVER, [host], 5000, (stdout) => {
        const port = Number(/ready (\d+)/.exec(stdout)?.[1]);
        const peer = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        sent = client.handler
          .network()
          .connectAndWait(Udp, peer)
          .then((ep) => client.handler.network().send(ep, Buffer.from('hello python')));
      });
      expect(await sent).toBe(SendStatus.Sent);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('done 12');
      const answer = await client.waitFor((e) => e.type === 'message', 2000);
      expect(answer.type === 'message' && Buffer.from(answer.data).toString()).toBe('python got: hello python');
    },
    T,
  );
});
