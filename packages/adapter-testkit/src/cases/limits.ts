// Limits and send outcomes that hold for every adapter (docs/reliability.md FT-05, LC-06 cases 1 to 4).
import { expect } from 'vitest';
import { SendStatus } from '@message-io/core';
import { isConnectedOk, type Harness } from '../harness.js';
import { bytesOf, eventsOf, messagesOf, sleep, text, until, utf8 } from '../support.js';

async function oversizeSend(h: Harness): Promise<void> {
  const { transport, maxMessageSize, wait } = h.settings;
  const { server, client, endpoint } = await h.pair();
  expect(client.handler.network().send(endpoint, new Uint8Array(maxMessageSize + 1))).toBe(SendStatus.MaxPacketSizeExceeded);
  h.sendOk(client.handler, endpoint, utf8('small'));
  await until(() => bytesOf(client.events, endpoint).byteLength >= 5, { timeout: wait, what: 'the echo of the small message' });
  await sleep(50);
  expect(text(bytesOf(client.events, endpoint))).toBe('small');
  expect(text(bytesOf(server.events))).toBe('small');
  if (transport.packetBased) expect(messagesOf(server.events)).toHaveLength(1);
  expect(client.events.filter((e) => e.type === 'disconnected')).toEqual([]);
  expect(client.handler.network().isReady(endpoint.resourceId)).toBe(true);
}

async function sendBeforeReady(h: Harness): Promise<void> {
  const server = h.node();
  const { addr } = await h.listen(server.handler);
  const client = h.node();
  const net = client.handler.network();
  const endpoint = h.connect(client.handler, addr);
  expect(net.isReady(endpoint.resourceId)).toBe(false);
  expect(net.send(endpoint, utf8('too early'))).toBe(SendStatus.ResourceNotAvailable);
  await client.waitFor(isConnectedOk, h.settings.wait);
  expect(net.isReady(endpoint.resourceId)).toBe(true);
  h.sendOk(client.handler, endpoint, utf8('now'));
  await until(() => bytesOf(server.events).byteLength >= 3, { timeout: h.settings.wait, what: 'the message sent once ready' });
  expect(text(bytesOf(server.events))).toBe('now');
}

async function sendAfterRemove(h: Harness): Promise<void> {
  const { transport, wait } = h.settings;
  const { server, client, endpoint, listener } = await h.pair();
  const net = client.handler.network();
  expect(net.remove(endpoint.resourceId)).toBe(true);
  expect(net.send(endpoint, utf8('after remove'))).toBe(SendStatus.ResourceNotFound);
  expect(net.remove(endpoint.resourceId)).toBe(false);
  expect(net.isReady(endpoint.resourceId)).toBeUndefined();
  if (!transport.connectionOriented) return;
  const other = await h.connectAndWait(client.handler, listener.addr);
  const accepted = await server.waitCount((e) => e.type === 'accepted', 2, wait);
  const last = accepted[1]!;
  if (last.type === 'accepted') expect(server.handler.network().remove(last.endpoint.resourceId)).toBe(true);
  await client.waitFor((e) => e.type === 'disconnected' && e.endpoint === other, wait);
  expect(net.send(other, utf8('after disconnected'))).toBe(SendStatus.ResourceNotFound);
  expect(net.remove(other.resourceId)).toBe(false);
  expect(eventsOf(client.events, endpoint).map((e) => e.type)).toEqual(['connected']);
}

/** Registers the limit and send-outcome cases. */
export function registerLimitCases(h: Harness): void {
  const bounded = Number.isFinite(h.settings.maxMessageSize) || 'maxMessageSize is unbounded';
  h.case('oversize send', () => oversizeSend(h), bounded);
  h.case('send before ready', () => sendBeforeReady(h));
  h.case('send after remove', () => sendAfterRemove(h));
}
