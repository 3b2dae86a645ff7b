// The Rust message-io integration tests, for any transport: echo, burst, largest message, refused.
import { expect } from 'vitest';
import { ConnectError, SendStatus } from '@message-io/core';
import { echo, isConnectedOk, type Harness } from '../harness.js';
import { largestMessage } from '../options.js';
import { bytesOf, messagesOf, randomBytes, rng, sameBytes, sleep, text, until, utf8 } from '../support.js';

async function echoWith(h: Harness, clients: number): Promise<void> {
  const { transport, wait } = h.settings;
  const server = h.node(echo);
  const { addr } = await h.listen(server.handler);
  const client = h.node();
  const endpoints = Array.from({ length: clients }, () => h.connect(client.handler, addr));
  await client.waitCount(isConnectedOk, clients, wait);
  const payloads = endpoints.map((_, i) => utf8(`message from client ${i}`));
  endpoints.forEach((endpoint, i) => h.sendOk(client.handler, endpoint, payloads[i]!));
  const complete = (): boolean => endpoints.every((ep, i) => bytesOf(client.events, ep).byteLength >= payloads[i]!.byteLength);
  await until(complete, { timeout: wait, what: 'every echo' }).catch(() => undefined);
  endpoints.forEach((endpoint, i) => expect(text(bytesOf(client.events, endpoint))).toBe(text(payloads[i]!)));
  if (transport.packetBased) endpoints.forEach((endpoint) => expect(messagesOf(client.events, endpoint)).toHaveLength(1));
  if (!transport.connectionOriented) return;
  expect(server.events.filter((e) => e.type === 'accepted')).toHaveLength(clients);
  for (const endpoint of endpoints) expect(client.handler.network().remove(endpoint.resourceId)).toBe(true);
  await server.waitCount((e) => e.type === 'disconnected', clients, wait);
}

/** Message `i` of a burst: `i` and its complement, 8 bytes, so that order and integrity show. */
function burstMessage(i: number): Uint8Array {
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  view.setUint32(0, i, true);
  view.setInt32(4, ~i, true);
  return message;
}

async function orderedBurst(h: Harness): Promise<void> {
  const { transport, burstCount: count, wait } = h.settings;
  const { server, client, endpoint } = await h.pair(() => undefined);
  for (let i = 0; i < count; i++) {
    h.sendOk(client.handler, endpoint, burstMessage(i));
    // A datagram transport drops what overflows the receive buffer: let the receiver read.
    if (!transport.connectionOriented && i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
  }
  const total = count * 8;
  await until(() => bytesOf(server.events).byteLength >= total, { timeout: wait, what: 'the whole burst' }).catch(() => undefined);
  const stream = bytesOf(server.events);
  expect(stream.byteLength).toBe(total);
  if (transport.packetBased) expect(messagesOf(server.events)).toHaveLength(count);
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  for (let i = 0; i < count; i++) {
    if (view.getUint32(i * 8, true) !== i || view.getInt32(i * 8 + 4, true) !== ~i) {
      throw new Error(`message ${i} of the burst is missing, damaged or out of order`);
    }
  }
}

async function largest(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const size = largestMessage(h.settings);
  const { server, client, endpoint } = await h.pair();
  const payload = randomBytes(rng(size), size);
  h.sendOk(client.handler, endpoint, payload);
  await until(() => bytesOf(client.events, endpoint).byteLength >= size, { timeout: wait, what: 'the echo' }).catch(() => undefined);
  const back = bytesOf(client.events, endpoint);
  expect(back.byteLength).toBe(size);
  expect(sameBytes(back, payload)).toBe(true);
  if (transport.packetBased) {
    expect(messagesOf(server.events)).toHaveLength(1);
    expect(messagesOf(client.events, endpoint)).toHaveLength(1);
  }
}

async function connectRefused(h: Harness): Promise<void> {
  const probe = h.node();
  const { id, addr } = await h.listen(probe.handler);
  expect(probe.handler.network().remove(id)).toBe(true);
  await sleep(50);
  const client = h.node();
  const endpoint = h.connect(client.handler, addr);
  const event = await client.waitFor((e) => e.type === 'connected', 2_000);
  expect(event).toMatchObject({ type: 'connected', endpoint, ok: false });
  // The refusal itself (ConnectError), reported at once: not a ConnectTimeoutError after connectTimeout.
  expect(event.type === 'connected' && event.error).toBeInstanceOf(ConnectError);
  await sleep(100);
  expect(client.events.filter((e) => e.type === 'connected')).toHaveLength(1);
  expect(client.handler.network().send(endpoint, utf8('x'))).toBe(SendStatus.ResourceNotFound);
  expect(client.handler.network().isReady(endpoint.resourceId)).toBeUndefined();
  await expect(h.connectAndWait(client.handler, addr)).rejects.toBeInstanceOf(ConnectError);
}

/** Registers the ports of the Rust message-io integration tests. */
export function registerIntegrationCases(h: Harness): void {
  const { transport, clients, burstCount } = h.settings;
  const size = largestMessage(h.settings);
  h.case('echo with 1 client', () => echoWith(h, 1));
  h.case('echo with many clients', () => echoWith(h, clients));
  h.case('ordered burst', () => orderedBurst(h), burstCount > 0 || 'burstCount is 0');
  h.case('largest message', () => largest(h), size > 0 || 'maxMessageSize is 0');
  h.case('connect refused', () => connectRefused(h), transport.connectionOriented || 'not connection-oriented');
}
