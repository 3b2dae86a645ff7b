// Runs the metrics example as a user would, makes known traffic against it with message-io
// clients, and scrapes /metrics over HTTP: every figure must match the traffic made, and the
// server must have printed one line per connection accepted, refused and ended.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FramedTcp, Ws, type Endpoint } from 'message-io';
import { testNode, until, type TestNode } from '@message-io/adapter-testkit';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
  stopAll();
});

function get(url: string): Promise<{ status: number | undefined; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
    })
      .on('error', reject)
      .end();
  });
}

/** The value of the sample `series` (a metric name with its labels, as printed) in a scrape. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const name of ['metrics.ts', 'log.ts']) {
      expect(blocks, `README.md shows src/${name}`).toContain(readFileSync(new URL(`../src/${name}`, import.meta.url), 'utf8'));
    }
  });

  it('/metrics counts the traffic made, per listener and for the node; one line per connection', async () => {
    const server = start(`${dist}server.js`, ['0']);
    const [, framedAddr, wsAddr, metricsUrl] = await server.waitFor(
      /echo on FramedTcp (127\.0\.0\.1:\d+) and Ws ws:\/\/(127\.0\.0\.1:\d+)\/echo; metrics on (http:\/\/\S+\/metrics)/,
    );
    const client = testNode();
    nodes.push(client);
    const net = client.handler.network();

    // 3 FramedTcp clients send 10 messages of 100 bytes each; one Ws client sends 5 of 10 bytes;
    // one Ws client asks for a path the server does not serve (refused: 404).
    const framed: Endpoint[] = [];
    for (let i = 0; i < 3; i++) framed.push(await net.connectAndWait(FramedTcp, framedAddr!));
    const ws = await net.connectAndWait(Ws, `ws://${wsAddr}/echo`);
    for (const endpoint of framed) for (let i = 0; i < 10; i++) expect(net.send(endpoint, new Uint8Array(100))).toBe('Sent');
    for (let i = 0; i < 5; i++) expect(net.send(ws, new Uint8Array(10))).toBe('Sent');
    const refused = net.connect(Ws, `ws://${wsAddr}/elsewhere`);
    await until(() => client.events.filter((e) => e.type === 'message').length === 35, { timeout: 10_000, what: 'the 35 echoes' });
    await until(() => client.events.some((e) => e.type === 'connected' && e.endpoint === refused && !e.ok), { what: 'the refused client' });

    const scrape = await get(metricsUrl!);
    expect(scrape.status).toBe(200);
    expect(scrape.type).toMatch(/^text\/plain/);
    const body = scrape.body;
    const framedLabels = `{transport="FramedTcp",addr="${framedAddr}"}`;
    const wsLabels = `{transport="Ws",addr="${wsAddr}"}`;
    expect(sample(body, `message_io_listener_connections${framedLabels}`)).toBe(3);
    expect(sample(body, `message_io_listener_messages_received_total${framedLabels}`)).toBe(30);
    expect(sample(body, `message_io_listener_received_bytes_total${framedLabels}`)).toBe(3000);
    expect(sample(body, `message_io_listener_messages_sent_total${framedLabels}`)).toBe(30);
    expect(sample(body, `message_io_listener_sent_bytes_total${framedLabels}`)).toBe(3000);
    expect(sample(body, `message_io_listener_refused_total${framedLabels}`)).toBe(0);
    expect(sample(body, `message_io_listener_connections${wsLabels}`)).toBe(1);
    expect(sample(body, `message_io_listener_messages_received_total${wsLabels}`)).toBe(5);
    expect(sample(body, `message_io_listener_received_bytes_total${wsLabels}`)).toBe(50);
    expect(sample(body, `message_io_listener_refused_total${wsLabels}`)).toBe(1);
    expect(sample(body, 'message_io_connections')).toBe(4);
    expect(sample(body, 'message_io_listeners')).toBe(2);
    expect(sample(body, 'message_io_messages_received_total')).toBe(35);
    expect(sample(body, 'message_io_messages_sent_total')).toBe(35);
    expect(sample(body, 'message_io_received_bytes_total')).toBe(3050);
    expect(sample(body, 'message_io_refused_total')).toBe(1);
    expect(sample(body, 'message_io_backpressure_total')).toBe(0);
    expect(sample(body, 'message_io_stored_bytes')).toBe(0);
    expect(body).toContain('# TYPE message_io_messages_received_total counter');
    expect(body).toContain('# TYPE message_io_connections gauge');
    expect(sample(body, 'process_cpu_seconds_total')).toBeGreaterThan(0); // prom-client's own defaults are there too

    // The log: 4 accepted, 1 refused (with the reason); then 4 ended once the clients leave.
    expect(server.output().match(/^accept 127\.0\.0\.1:\d+$/gm)).toHaveLength(4);
    expect(server.output()).toMatch(/^refuse 127\.0\.0\.1:\d+ path: HTTP 404$/m);
    for (const endpoint of [...framed, ws]) net.remove(endpoint.resourceId);
    await server.waitFor(/(^disconnect 127\.0\.0\.1:\d+ closed\n[\s\S]*){4}/m);
    const after = (await get(metricsUrl!)).body;
    expect(sample(after, 'message_io_connections')).toBe(0);
    expect(sample(after, 'message_io_messages_received_total')).toBe(35);

    server.child.kill('SIGTERM');
    expect(await exitWithin(server, 10_000)).toBe(0);
  });
});
