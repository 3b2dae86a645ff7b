// The conformance cases catch broken duties: each runs against a memory transport broken in exactly
// one way (broken-transport.ts) and must fail, naming what it awaited and what it saw; the same
// case passes on the healthy memory transport.
import { describe, expect, it } from 'vitest';
import { memoryTransport } from '@message-io/adapter-testkit';
import type { Transport } from '@message-io/core';
import { backpressureAndWritable, closeWithinLinger, inboundSizeLimit, slowReader } from '../src/cases/duties.js';
import { nothingAfterRemove } from '../src/cases/lifecycle.js';
import { unknownOption } from '../src/cases/options.js';
import { Harness } from '../src/harness.js';
import { resolveSettings } from '../src/options.js';
import { brokenTransport, type Broken } from './broken-transport.js';

type Body = (h: Harness) => Promise<void>;

/** Runs one case body on `transport` as the suite would (waits of 1 s), and stops its nodes. */
async function run(transport: Transport, body: Body): Promise<void> {
  const h = new Harness(resolveSettings({ transport, timeout: 4_000 }));
  try {
    await body(h);
  } finally {
    h.cleanup();
  }
}

const cases: [string, Broken, Body, RegExp][] = [
  [
    'backpressure and writable',
    'bufferedBytes always 0',
    backpressureAndWritable,
    /send never answered Backpressure while the peer did not read \(maxBufferedBytes 64 KiB\): \d+ messages \(\d+ bytes\) answered Sent/,
  ],
  [
    'inbound size limit',
    'no inbound size check',
    (h) => inboundSizeLimit(h, 'maxMessageSize'),
    /of the connection sent 4096 bytes over its maxMessageSize of 1024; saw instead: accepted, message\(4 B\), message\(4096 B\)/,
  ],
  ['unknown option', 'unknown options accepted', unknownOption, /connect took the unknown option bogus: an adapter must refuse options it does not know/],
  [
    'whole messages in order under a slow reader',
    'messages merged under a slow reader',
    slowReader,
    /under a slow reader: message \d+ has \d+ bytes, \d+ were sent \(merged\)/,
  ],
  [
    'remove delivers what was queued within linger',
    'close drops queued data',
    closeWithinLinger,
    /the peer received 0 of the 4194304 bytes queued before remove\(\), then disconnected\(Error: .+\): close dropped queued data/,
  ],
  [
    'backpressure and writable',
    'writable never notified',
    backpressureAndWritable,
    /waiting for a writable event for the connection that met Backpressure, once the peer read again; saw instead: nothing$/,
  ],
  [
    'nothing after remove',
    'close leaves the connection open',
    nothingAfterRemove,
    /waiting for disconnected on the peer of the removed connection; saw instead: connected\(true\)$/,
  ],
];

describe('each duty case fails on an adapter that breaks that duty', () => {
  it.each(cases)('%s fails when %s', async (_name, broken, body, message) => {
    await expect(run(brokenTransport(broken), body)).rejects.toThrow(message);
  });

  it('nothing after remove holds on an adapter that keeps reporting after close: the core drops what it reports', async () => {
    await run(brokenTransport('keeps reporting after close'), nothingAfterRemove);
  });

  it.each(cases)('%s passes on the healthy memory transport', async (_name, _broken, body) => {
    await run(memoryTransport(), body);
  });
});
