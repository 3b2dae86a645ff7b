// Servers written with message-io in node:cluster workers that share one listening address
// (test/fixtures/cluster-node.mjs forks them): the node API unchanged in each worker, connections
// spread over the workers, every message answered whole by the worker that holds its connection,
// on FramedTcp, Ws and FramedTcp over TLS; large messages too (several reads each, through each
// worker's own receive buffer). Udp cannot share a port on Node 20: the second worker's listen
// fails with a ListenError (EADDRINUSE).
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FramedTcp, Ws, type Endpoint, type Transport } from 'message-io';
import { rng, randomBytes, sameBytes, testNode, until, type TestNode } from '@message-io/adapter-testkit';
import { exitWithin, start, stopAll, type Program } from './support/child.js';
import { skipWithout } from './support/peers.js';
import { usePki, type Pki } from './support/pki.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-node.mjs', import.meta.url));
const nodes: TestNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
  stopAll();
});

type Line = { worker?: number; pid?: number; addr?: string; error?: { name: string; code: string; cause?: string }; ready?: string | null };

/** The JSON lines a program printed so far. */
function lines(program: Program): Line[] {
  return program
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/** Starts the cluster and waits until every worker has answered; returns its lines. */
async function cluster(kind: string, workers: number, env: NodeJS.ProcessEnv = {}, port = 0): Promise<{ program: Program; lines: Line[] }> {
  const program = start(FIXTURE, [String(workers), kind, String(port)], env);
  await program.waitFor(/"ready":/, 15_000);
  return { program, lines: lines(program) };
}

/** Stops the cluster by its stdin and waits for the primary and every worker to exit. */
async function stop(program: Program, pids: number[]): Promise<void> {
  program.child.stdin!.write('stop\n');
  expect(await exitWithin(program, 10_000)).toBe(0);
  await until(
    () =>
      pids.every((pid) => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }),
    { what: 'every worker to exit' },
  );
}

const cases: { kind: string; transport: Transport; url?: boolean }[] = [
  { kind: 'framed-tcp', transport: FramedTcp },
  { kind: 'ws', transport: Ws, url: true },
];

/**
 * Starts 2 workers of `kind`, opens 12 connections, sends each 3 messages (10 B, 100 KiB, 1 MiB)
 * and checks that every answer is whole, that one worker answers a connection, and that both
 * workers held some; then stops the cluster.
 */
async function shareOfConnections(kind: string, transport: Transport, url: boolean, pki?: Pki): Promise<void> {
  const env = pki === undefined ? {} : { MIO_TLS_CERT: pki.server.cert, MIO_TLS_KEY: pki.server.key };
  const { program, lines: started } = await cluster(kind, 2, env);
  const workers = started.filter((l) => l.worker !== undefined);
  expect(workers.map((l) => l.error)).toEqual([undefined, undefined]);
  expect(new Set(workers.map((l) => l.addr)).size, 'one address for both workers').toBe(1);
  const addr = workers[0]!.addr!;

  const client = testNode();
  nodes.push(client);
  const net = client.handler.network();
  const target = url === true ? `ws://${addr}/` : addr;
  const options = pki === undefined ? undefined : { tls: { ca: pki.ca } };
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < 12; i++) endpoints.push(await net.connectAndWait(transport, target, options as never));
  const random = rng(23);
  const sent = new Map<Endpoint, Uint8Array[]>();
  for (const endpoint of endpoints) {
    const messages = [randomBytes(random, 10), randomBytes(random, 100 * 1024), randomBytes(random, 1024 * 1024)];
    sent.set(endpoint, messages);
    for (const message of messages) expect(net.send(endpoint, message)).toBe('Sent');
  }
  const answers = (endpoint: Endpoint): Uint8Array[] =>
    client.events.filter((e) => e.type === 'message' && e.endpoint === endpoint).map((e) => (e as { data: Uint8Array }).data);
  await until(() => endpoints.every((e) => answers(e).length === 3), { timeout: 20_000, what: 'three answers on every connection' });
  const servedBy = new Set<number>();
  for (const endpoint of endpoints) {
    const got = answers(endpoint);
    const worker = got[0]![0]!;
    servedBy.add(worker);
    for (const [i, message] of sent.get(endpoint)!.entries()) {
      expect(got[i]![0], 'one worker answers a connection').toBe(worker);
      expect(sameBytes(got[i]!.subarray(1), message), `answer ${i} on a connection of worker ${worker}`).toBe(true);
    }
  }
  expect([...servedBy].sort(), 'the workers that held connections').toEqual([1, 2]);
  await stop(
    program,
    workers.map((l) => l.pid!),
  );
}

describe('node:cluster: workers sharing one listening address', () => {
  for (const { kind, transport, url } of cases) {
    it(
      `${kind}: 2 workers take their share of 12 connections and answer every message whole, 1 MiB ones too`,
      () => shareOfConnections(kind, transport, url === true),
      40_000,
    );
  }

  it('udp: a port is bound once; the second worker’s listen fails with ListenError (EADDRINUSE) and the first serves', async () => {
    // A free port (a Udp bind does not go through the primary: each worker binds its own socket).
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    const { program, lines: started } = await cluster('udp', 2, {}, port);
    const workers = started.filter((l) => l.worker !== undefined);
    expect(workers.filter((l) => l.addr === `127.0.0.1:${port}`)).toHaveLength(1);
    expect(workers.filter((l) => l.error !== undefined).map((l) => l.error)).toEqual([
      { name: 'ListenError', code: 'ERR_LISTEN', cause: 'EADDRINUSE', message: expect.stringContaining('EADDRINUSE') },
    ]);
    await stop(
      program,
      workers.map((l) => l.pid!),
    );
  });
});

describe.skipIf(skipWithout('openssl'))('node:cluster over TLS', () => {
  const pki = usePki();
  it(
    'framed-tcp-tls: each worker runs the TLS handshakes of its share of 12 connections and answers every message whole',
    () => shareOfConnections('framed-tcp-tls', FramedTcp, false, pki),
    40_000,
  );
});
