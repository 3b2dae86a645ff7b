// The page side of browser.test.ts, bundled for Chromium by esbuild with the `browser` condition,
// so that `@message-io/ws` is the client on the native WebSocket. Each scenario runs in the page
// and returns plain data for the test to check; each is bounded by its own timeout.
import { MessageIoError, SendStatus, split, type Endpoint } from '@message-io/core';
import { Ws } from '@message-io/ws';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes that differ from one position to the next: a reordered or truncated echo shows. */
export function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + 3) & 255;
  return bytes;
}

function equal(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

function codeOf(error: unknown): string {
  return error instanceof MessageIoError ? `${error.name}:${error.code}` : String(error);
}

/** Connects to a message-io listener, exchanges binary and text, waits for a timer signal, and is removed by the server. */
async function exchange(port: number): Promise<object> {
  const [handler, listener] = split<'tick'>();
  const net = handler.network();
  const started = performance.now();
  const small = Uint8Array.of(1, 2, 3);
  const big = pattern(1 << 20);
  const log: string[] = [];
  const sent: string[] = [];
  const echoes: Uint8Array[] = [];
  let tickAfter = -1;
  let disconnectedError: string | undefined;
  handler.signals().sendWithTimer('tick', 50);
  const server = net.connect(Ws, `127.0.0.1:${port}`);
  const guard = setTimeout(() => handler.stop(), 10_000);
  await listener.forEach((event) => {
    log.push(event.type === 'connected' ? `connected:${event.ok}` : event.type);
    // The node stops once it has seen both the timer signal and the disconnection, in either
    // order: on a fast machine the exchange ends before the 50 ms timer.
    if (event.type === 'signal') {
      tickAfter = performance.now() - started;
      if (log.includes('disconnected')) handler.stop();
    } else if (event.type === 'connected' && !event.ok) handler.stop();
    else if (event.type === 'connected') sent.push(net.send(server, small), net.send(server, big), net.send(server, encoder.encode('hello')));
    else if (event.type === 'message') {
      echoes.push(new Uint8Array(event.data));
      if (echoes.length === 3) sent.push(net.send(server, encoder.encode('remove me')));
    } else if (event.type === 'disconnected') {
      disconnectedError = event.error?.message;
      if (tickAfter >= 0) handler.stop();
    }
  });
  clearTimeout(guard);
  return {
    log,
    sent,
    tickAfter,
    disconnectedError,
    echoes: [equal(echoes[0], small), equal(echoes[1], big), decoder.decode(echoes[2])],
    sendAfterStop: net.send(server, small),
  };
}

/** Errors and statuses: listen refused, Node-only options, bad URLs, maxPayload, backpressure, a refused connection. */
async function limits(port: number, closedPort: number): Promise<Record<string, unknown>> {
  const [handler, listener] = split();
  const net = handler.network();
  const result: Record<string, unknown> = {};
  result.listen = await net.listen(Ws, '127.0.0.1:0').then(() => 'listening', codeOf);
  const attempt = (f: () => unknown): string => {
    try {
      f();
      return 'no error';
    } catch (error) {
      return codeOf(error);
    }
  };
  result.headers = attempt(() => net.connect(Ws, `127.0.0.1:${port}`, { headers: { a: 'b' } }));
  result.clientCert = attempt(() => net.connect(Ws, `127.0.0.1:${port}`, { cert: 'pem', key: 'pem' }));
  result.heartbeat = attempt(() => net.connect(Ws, `127.0.0.1:${port}`, { heartbeatInterval: 1000 }));
  result.http = attempt(() => net.connect(Ws, `http://127.0.0.1:${port}/`));
  const capped = net.connect(Ws, `ws://127.0.0.1:${port}/capped`, { maxPayload: 16 });
  const slow = net.connect(Ws, `127.0.0.1:${port}`, { maxBufferedBytes: 64 * 1024 });
  const refused = net.connect(Ws, `127.0.0.1:${closedPort}`);
  const pending = new Set<Endpoint>([capped, slow, refused]);
  const guard = setTimeout(() => handler.stop(), 10_000);
  await listener.forEach((event) => {
    if (event.type === 'connected' && event.endpoint === refused) {
      result.refused = `${event.ok}:${codeOf(event.error)}`;
      pending.delete(refused);
    } else if (event.type === 'connected' && event.endpoint === capped) {
      result.capped = [net.send(capped, new Uint8Array(17)), net.send(capped, new Uint8Array(16))];
      pending.delete(capped);
    } else if (event.type === 'connected' && event.endpoint === slow) {
      result.backpressure = [net.send(slow, pattern(1 << 20)), net.send(slow, pattern(1 << 20))];
    } else if (event.type === 'writable' && event.endpoint === slow) {
      result.writable = net.send(slow, Uint8Array.of(1));
      pending.delete(slow);
    }
    if (pending.size === 0) handler.stop();
  });
  clearTimeout(guard);
  return result;
}

/** Connects to a plain `ws` server that sends text and binary; then removes the connection. */
async function textIn(url: string): Promise<object> {
  const [handler, listener] = split();
  const net = handler.network();
  const received: number[][] = [];
  const texts: boolean[] = [];
  let protocol: string | undefined;
  let sentText: string | undefined;
  const server = net.connect(Ws, url, { protocols: ['chat.v1'] });
  const guard = setTimeout(() => handler.stop(), 10_000);
  await listener.forEach((event) => {
    if (event.type === 'connected' && !event.ok) handler.stop();
    if (event.type === 'connected' && event.ok) {
      protocol = net.protocol(server);
      sentText = net.sendText(server, 'from the page ✓');
    }
    if (event.type !== 'message') return;
    received.push([...event.data]);
    texts.push(event.text === true);
    if (received.length === 2) {
      net.remove(server.resourceId);
      handler.stop();
    }
  });
  clearTimeout(guard);
  return { received, texts, protocol, sentText, text: received[0] === undefined ? undefined : decoder.decode(Uint8Array.from(received[0])) };
}

/** docs/reliability.md WS-07: the browser's own WebSocket against a message-io listener. */
function nativeClient(port: number): Promise<object> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.binaryType = 'arraybuffer';
    const echoes: Uint8Array[] = [];
    const big = pattern(1 << 20);
    const guard = setTimeout(() => resolve({ timeout: true, echoes: echoes.length }), 10_000);
    ws.onopen = () => {
      ws.send('hello');
      ws.send(Uint8Array.of(1, 2, 3));
      ws.send(big.buffer);
    };
    ws.onmessage = (event) => {
      echoes.push(new Uint8Array(event.data as ArrayBuffer));
      if (echoes.length === 3) ws.close(1000, 'bye');
    };
    ws.onclose = (event) => {
      clearTimeout(guard);
      const echoed = [decoder.decode(echoes[0]), equal(echoes[1], Uint8Array.of(1, 2, 3)), equal(echoes[2], big)];
      resolve({ echoed, extensions: ws.extensions, code: event.code, wasClean: event.wasClean });
    };
  });
}

/** What the test calls through `page.evaluate`. */
(globalThis as Record<string, unknown>).scenarios = { exchange, limits, textIn, nativeClient, statuses: SendStatus };
