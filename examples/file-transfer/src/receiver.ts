// The receiving side: accepts files from any number of senders at once, writes each to disk as its
// chunks arrive (nothing is kept in memory), and checks its SHA-256 at the end.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FramedTcp, split, type Endpoint, type NetworkController } from 'message-io';
import { Progress, mib, type Bar } from './progress.js';
import { CHUNK_SIZE, Tag, decode, encode, json, type Offer } from './protocol.js';

/** A file being received. */
interface Incoming {
  readonly name: string;
  readonly size: number;
  readonly path: string;
  readonly fd: number;
  readonly hash: Hash;
  readonly bar: Bar;
  received: number;
}

/** Listens on `addr` and writes incoming files into `dir` until Ctrl-C. */
export async function receive(addr: string, dir: string): Promise<void> {
  const [handler, listener] = split();
  const progress = new Progress();
  const { addr: bound } = await handler.network().listen(FramedTcp, addr, { maxMessageSize: CHUNK_SIZE + 1 });
  progress.log(`receiving files on ${bound} into ${dir}`);
  const files = new Receiver(handler.network(), progress, dir);
  process.once('SIGINT', () => {
    progress.log('stopped; unfinished files removed');
    handler.stop();
  });
  await listener.forEach((event) => {
    if (event.type === 'message') files.message(event.endpoint, event.data);
    else if (event.type === 'disconnected') files.lost(event.endpoint);
  });
  files.abandonAll();
  progress.stop();
}

/** The files being received, one per connection. */
class Receiver {
  private readonly transfers = new Map<Endpoint, Incoming>();

  constructor(
    private readonly network: NetworkController,
    private readonly progress: Progress,
    private readonly dir: string,
  ) {}

  /** A message from a sender. */
  message(endpoint: Endpoint, data: Uint8Array): void {
    const { tag, body } = decode(data);
    const incoming = this.transfers.get(endpoint);
    if (tag === Tag.Offer) this.offer(endpoint, json<Offer>(body));
    else if (tag === Tag.Chunk && incoming !== undefined) this.chunk(endpoint, incoming, body);
    else if (tag === Tag.Done && incoming !== undefined) this.done(endpoint, incoming, json<{ sha256: string }>(body)?.sha256);
  }

  /** A sender's connection ended: drop its unfinished file. */
  lost(endpoint: Endpoint): void {
    const incoming = this.transfers.get(endpoint);
    if (incoming === undefined) return;
    this.progress.log(`${incoming.name} from ${endpoint.addr}: connection lost after ${incoming.received} of ${incoming.size} bytes; partial file removed`);
    this.end(endpoint, false);
  }

  /** Drops every unfinished file (the node stopped). */
  abandonAll(): void {
    for (const endpoint of [...this.transfers.keys()]) this.end(endpoint, false);
  }

  private offer(endpoint: Endpoint, offer: Partial<Offer> | undefined): void {
    const name = typeof offer?.name === 'string' ? basename(offer.name) : '';
    const size = offer?.size;
    if (name === '' || name === '.' || name === '..' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      return this.refuse(endpoint, 'a bad offer');
    }
    const path = join(this.dir, name);
    if (this.transfers.has(endpoint)) return this.refuse(endpoint, 'one file at a time per connection');
    if (existsSync(path)) return this.refuse(endpoint, `${name} exists already`);
    const fd = openSync(path, 'wx');
    this.transfers.set(endpoint, { name, size, path, fd, hash: createHash('sha256'), bar: this.progress.add(name, size), received: 0 });
    this.progress.log(`receiving ${name} (${mib(size)} MiB) from ${endpoint.addr}`);
    this.network.send(endpoint, encode(Tag.Accept));
  }

  private chunk(endpoint: Endpoint, incoming: Incoming, chunk: Uint8Array): void {
    if (incoming.received + chunk.byteLength > incoming.size) {
      this.progress.log(`${incoming.name} from ${endpoint.addr}: more bytes than offered; connection closed`);
      this.end(endpoint, false);
      this.network.remove(endpoint.resourceId);
      return;
    }
    writeSync(incoming.fd, chunk); // written at once: nothing of the chunk is kept
    incoming.hash.update(chunk);
    incoming.received += chunk.byteLength;
    incoming.bar.update(incoming.received);
  }

  private done(endpoint: Endpoint, incoming: Incoming, sha256: unknown): void {
    const ok = incoming.received === incoming.size && incoming.hash.digest('hex') === sha256;
    this.end(endpoint, ok);
    this.network.send(endpoint, encode(Tag.Verified, new Uint8Array([ok ? 1 : 0])));
    this.progress.log(
      ok
        ? `received ${incoming.name} from ${endpoint.addr}: ${incoming.received} bytes, sha256 ${String(sha256)} verified`
        : `${incoming.name} from ${endpoint.addr} does not match its checksum; removed`,
    );
  }

  private refuse(endpoint: Endpoint, reason: string): void {
    this.progress.log(`refused a file from ${endpoint.addr}: ${reason}`);
    this.network.send(endpoint, encode(Tag.Refuse, reason));
  }

  private end(endpoint: Endpoint, keep: boolean): void {
    const incoming = this.transfers.get(endpoint);
    if (incoming === undefined) return;
    this.transfers.delete(endpoint);
    closeSync(incoming.fd);
    incoming.bar.stop();
    if (!keep) rmSync(incoming.path, { force: true });
  }
}
