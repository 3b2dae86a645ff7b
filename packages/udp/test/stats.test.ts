// The counters of a Udp listener on real sockets: datagrams received through the listener and
// answered from it (Endpoint.fromListener), and those of a connected Udp endpoint.
import { afterEach, describe, expect, it } from 'vitest';
import { Udp } from '@message-io/udp';
import { stopNodes, testNode, until } from './support.js';

afterEach(stopNodes);

describe('Udp counters', () => {
  it('a listener counts the datagrams it receives and those it answers; the client counts its own', async () => {
    const server = testNode((event, handler) => {
      if (event.type === 'message') handler.network().send(event.endpoint, event.data.subarray(0, 2));
    });
    const { id, addr } = await server.handler.network().listen(Udp, '127.0.0.1:0');
    const client = testNode();
    const endpoint = await client.handler.network().connectAndWait(Udp, addr);
    for (const size of [10, 20, 30]) expect(client.handler.network().send(endpoint, new Uint8Array(size))).toBe('Sent');
    await until(() => client.events.filter((e) => e.type === 'message').length === 3, { what: 'the three answers' });
    const listener = { connections: 0, messagesIn: 3, bytesIn: 60, messagesOut: 3, bytesOut: 6, refused: 0, backpressure: 0 };
    expect(server.handler.network().stats()).toMatchObject({ ...listener, listeners: 1, byListener: [{ id, transport: 'Udp', addr, ...listener }] });
    // A connected Udp endpoint is the client's only "connection".
    expect(client.handler.network().stats()).toMatchObject({ connections: 1, messagesOut: 3, bytesOut: 60, messagesIn: 3, bytesIn: 6, listeners: 0 });
  });
});
