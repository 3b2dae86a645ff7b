// Our Ws receive path (src/receive.ts) sits in front of the `ws` package's receiver through fields
// that are not in `ws`'s documented API: `WebSocket._receiver`, a Writable whose `write` comes from
// its prototype, its `_bufferedBytes` and `_writableState`. Where a `ws` release changes them, the
// fast path is not installed and `ws` receives everything, slower but correct: nothing else would
// notice, so this test says so, on a real connection, for the `ws` installed here.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe('the `ws` internals our receive path depends on', () => {
  it('an open connection has a receiver whose write is on its prototype, with no bytes buffered', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    closers.push(() => server.close());
    const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    await new Promise((resolve) => server.once('listening', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, { perMessageDeflate: false });
    client.on('error', () => undefined); // a close in afterEach is not a failure of this test
    closers.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    const ws = await accepted;
    closers.push(() => ws.terminate());
    expect(ws.extensions).toBe('');
    const receiver = (ws as unknown as { _receiver?: Record<string, unknown> })._receiver;
    expect(receiver, '`WebSocket._receiver`').toBeDefined();
    expect(typeof receiver!.write, 'the receiver is written to').toBe('function');
    expect(Object.hasOwn(receiver!, 'write'), 'its write comes from its prototype').toBe(false);
    expect(receiver!._bufferedBytes, '`_bufferedBytes` of a fresh receiver').toBe(0);
    const state = receiver!._writableState as Record<string, unknown> | undefined;
    expect(state).toBeDefined();
    expect('errored' in state! && 'ending' in state!, '`_writableState.errored` and `.ending`').toBe(true);
  });
});
