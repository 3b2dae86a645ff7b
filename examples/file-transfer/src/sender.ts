// The sending side: offers one file, then sends it chunk by chunk, as fast as the connection takes
// them. When `send` answers Backpressure it stops reading the file and waits for the `writable`
// event, so only the connection's buffer (maxBufferedBytes) and one chunk are ever in memory.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { FramedTcp, SendStatus, split, type Endpoint, type NetworkController, type NodeEvent, type NodeHandler } from 'message-io';
import { Progress, mib, type Bar } from './progress.js';
import { CHUNK_SIZE, Tag, decode, encode, text } from './protocol.js';

/** Unsent bytes the connection may hold before `send` answers Backpressure. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Chunks sent in one go before other events get their turn. */
const CHUNKS_PER_TURN = 64;

/** Sends `file` to the receiver at `addr`, at most `limit` bytes a second; resolves with the exit code. */
export async function sendFile(file: string, addr: string, limit: number = Infinity): Promise<number> {
  const [handler, listener] = split<'pump'>();
  const sender = new FileSender(handler, file, addr, limit);
  process.once('SIGINT', () => sender.finish(`stopped after ${sender.sent} of ${sender.size} bytes`, 130));
  await listener.forEach((event) => sender.handle(event));
  return sender.close();
}

/** One file on its way: the state of the transfer and what each event does to it. */
class FileSender {
  readonly size: number;
  /** Bytes the connection took. */
  sent = 0;
  private readonly network: NetworkController;
  private readonly server: Endpoint;
  private readonly name: string;
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private readonly rssAtStart = process.memoryUsage.rss();
  private peakRss = this.rssAtStart;
  private read = 0; // bytes read from the file (and hashed)
  private pending: Uint8Array | undefined; // a message refused with Backpressure, to send again
  private checksum: Uint8Array | undefined; // the Done message, once every chunk went out
  private done = false; // the Done message went out
  private waiting = false; // a timer of the rate limit is armed
  private bar: Bar | undefined;
  private started = 0;
  private code = 1;
  private readonly progress = new Progress();

  constructor(
    private readonly handler: NodeHandler<'pump'>,
    file: string,
    private readonly addr: string,
    private readonly limit: number,
  ) {
    this.network = handler.network();
    this.name = basename(file);
    this.size = statSync(file).size;
    this.fd = openSync(file, 'r');
    this.server = this.network.connect(FramedTcp, addr, { maxBufferedBytes: MAX_BUFFERED_BYTES });
  }

  /** What each event means for the transfer. */
  handle(event: NodeEvent<'pump'>): void {
    if (event.type === 'connected') {
      if (!event.ok) return this.finish(`cannot connect to ${this.addr}: ${event.error?.message}`, 1);
      this.network.send(this.server, encode(Tag.Offer, { name: this.name, size: this.size }));
    } else if (event.type === 'message') {
      this.answer(decode(event.data));
    } else if (event.type === 'writable') {
      this.pump();
    } else if (event.type === 'signal') {
      this.waiting = false;
      this.pump();
    } else if (event.type === 'disconnected') {
      this.finish(`connection lost after ${this.sent} of ${this.size} bytes of ${this.name}`, 1);
    }
  }

  /** Stops the node with a last line and an exit code. */
  finish(line: string, code: number): void {
    this.bar?.stop();
    this.progress.log(line);
    this.code = code;
    this.handler.stop();
  }

  /** Closes the file and the bars; returns the exit code. */
  close(): number {
    closeSync(this.fd);
    this.progress.stop();
    return this.code;
  }

  private answer({ tag, body }: { tag: number; body: Uint8Array }): void {
    if (tag === Tag.Accept) {
      this.started = performance.now();
      this.bar = this.progress.add(this.name, this.size);
      this.pump();
    } else if (tag === Tag.Refuse) {
      this.finish(`the receiver refused ${this.name}: ${text(body)}`, 1);
    } else if (tag === Tag.Verified && body[0] === 1) {
      this.finish(`sent ${this.name}: ${this.report()}; sha256 verified by the receiver`, 0);
    } else if (tag === Tag.Verified) {
      this.finish(`sent ${this.name}, but the receiver's checksum differs`, 1);
    }
  }

  /** Sends chunks until the connection is full, the turn is over, or the rate limit says wait. */
  private pump(): void {
    for (let turn = 0; !this.done; turn++) {
      if (turn === CHUNKS_PER_TURN) return this.handler.signals().send('pump');
      if (this.sent >= ((performance.now() - this.started) / 1000) * this.limit) return this.throttle();
      const message = this.pending ?? this.next();
      const status = this.network.send(this.server, message);
      if (status === SendStatus.Backpressure) {
        this.pending = message; // sent again on the `writable` event
        return;
      }
      if (status !== SendStatus.Sent) return this.finish(`could not send: ${status}`, 1);
      this.pending = undefined;
      if (message === this.checksum) this.done = true;
      else this.sent += message.byteLength - 1;
      this.bar?.update(this.sent);
      this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
    }
  }

  /** The next chunk of the file, or the Done message after the last one. */
  private next(): Uint8Array {
    if (this.read === this.size) return (this.checksum ??= encode(Tag.Done, { sha256: this.hash.digest('hex') }));
    // A buffer per chunk. (`send` takes the bytes when it is called, so reusing one would be safe too.)
    const chunk = Buffer.allocUnsafe(1 + Math.min(CHUNK_SIZE, this.size - this.read));
    chunk[0] = Tag.Chunk;
    const bytes = readSync(this.fd, chunk, 1, chunk.length - 1, this.read);
    if (bytes === 0) throw new Error(`${this.name} got shorter while being sent`);
    this.hash.update(chunk.subarray(1, 1 + bytes));
    this.read += bytes;
    return chunk.subarray(0, 1 + bytes);
  }

  private throttle(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.handler.signals().sendWithTimer('pump', 50);
  }

  private report(): string {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = mib(this.size / Math.max(seconds, 0.001));
    return `${mib(this.size)} MiB in ${seconds.toFixed(2)} s (${rate} MiB/s); RSS ${mib(this.rssAtStart)} MiB at start, peak ${mib(this.peakRss)} MiB`;
  }
}
