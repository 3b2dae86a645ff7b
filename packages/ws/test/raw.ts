// Raw peers for the Ws tests: a hand-written WebSocket client over node:net (so that a test can
// send what no library would), a frame parser, and the python3-websockets driver.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { requirePeers } from '../../../test/support/peers.js';
import { readJsonLines } from '../../../test/support/raw-peers.js';

/** One parsed WebSocket frame. */
export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Builds a frame; client frames are masked unless `mask` is false. `length` overrides the declared length. */
export function frame(opcode: number, payload: Uint8Array = Buffer.alloc(0), o: { fin?: boolean; mask?: boolean; rsv?: number; length?: bigint } = {}): Buffer {
  const { fin = true, mask = true, rsv = 0 } = o;
  const length = o.length ?? BigInt(payload.length);
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(length));
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(length);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code);
  payload.write(reason, 2);
  return payload;
}

/**
 * Parses frames from a growing buffer; returns the frames, the unparsed rest and how many bytes
 * the rest must reach before another frame can be parsed.
 */
export function parseFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer; needed: number } {
  const frames: Frame[] = [];
  let at = 0;
  let needed = 2;
  for (;;) {
    needed = 2;
    if (buffer.length - at < 2) break;
    const b0 = buffer[at]!;
    const b1 = buffer[at + 1]!;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      needed = 4;
      if (buffer.length < offset + 2) break;
      length = buffer.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      needed = 10;
      if (buffer.length < offset + 8) break;
      length = Number(buffer.readBigUInt64BE(offset));
      offset += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked) offset += 4;
    needed = offset - at + length;
    if (buffer.length < offset + length) break;
    const payload = Buffer.from(buffer.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ buffer[offset - 4 + (i & 3)]!;
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload });
    at = offset + length;
  }
  return { frames, rest: buffer.subarray(at), needed };
}

/** A raw client connection: what the server sent (HTTP head, then frames) and whether it closed. */
export interface RawPeer {
  socket: Socket;
  /** The HTTP response head, once complete. */
  head: string | undefined;
  frames: Frame[];
  ended: boolean;
  closed: boolean;
  /** The code of the first Close frame received, if any. */
  closeCode(): number | undefined;
}

/** Opens a TCP connection and records what comes back. Sends `request` (if any) at once. */
export function rawPeer(host: string, port: number, request?: string | Buffer): RawPeer {
  const socket = connect({ host, port });
  socket.on('error', () => undefined);
  let chunks: Buffer[] = [];
  let pendingLength = 0;
  let needed = 0;
  const peer: RawPeer = {
    socket,
    head: undefined,
    frames: [],
    ended: false,
    closed: false,
    closeCode() {
      const close = peer.frames.find((f) => f.opcode === 8);
      return close === undefined ? undefined : close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
    },
  };
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    pendingLength += chunk.length;
    if (pendingLength < needed) return;
    let pending = Buffer.concat(chunks);
    if (peer.head === undefined) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) {
        chunks = [pending];
        return;
      }
      peer.head = pending.subarray(0, end).toString('latin1');
      pending = pending.subarray(end + 4);
    }
    const parsed = parseFrames(pending);
    peer.frames.push(...parsed.frames);
    chunks = [parsed.rest];
    pendingLength = parsed.rest.length;
    needed = parsed.needed;
  });
  socket.on('end', () => (peer.ended = true));
  socket.on('close', () => (peer.closed = true));
  if (request !== undefined) socket.write(request);
  return peer;
}

/** An upgrade request for `path`, with extra header lines. */
export function upgradeRequest(path = '/', extra: string[] = [], key = randomBytes(16).toString('base64')): string {
  return [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** The HTTP status of a response head, or undefined. */
export function status(head: string | undefined): number | undefined {
  const match = head === undefined ? null : /^HTTP\/1\.1 (\d{3})/.exec(head);
  return match === null ? undefined : Number(match[1]);
}

/** The Python that sees Debian's python3-websockets. */
export const PYTHON = '/usr/bin/python3';

/** A running Python fixture: its JSON lines so far. Killed by PID with `kill()`. */
export interface PythonPeer {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
  kill(): void;
}

/** Runs `test/fixtures/<script>` with Debian's Python; fails clearly when python3-websockets is missing. */
export function python(script: string, args: string[]): PythonPeer {
  requirePeers('python3-websockets');
  const path = fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url));
  const child = spawn(PYTHON, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let err = '';
  readJsonLines(child.stdout!, lines);
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    },
  };
}
