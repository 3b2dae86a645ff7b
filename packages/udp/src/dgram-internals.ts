// The one file of @message-io/udp that touches what Node's `dgram` does not document: the state
// a `dgram.Socket` keeps under its own symbol, the libuv handle in it, that handle's `send`, and the
// request object `dgram` makes for each send. Where Node changes them, `directSender` answers
// `null` and the adapter sends through `socket.send` as before: nothing breaks, only the saving
// is lost; test/dgram-internals.test.ts says so loudly, on real sockets, for the Node it runs on.
// Design note 0017.
import type { Socket } from 'node:dgram';
import { getSystemErrorName } from 'node:util';

/** What a send request must carry: Node's handle reads `oncomplete`; `datagram` keeps the bytes alive. */
interface SendRequest {
  oncomplete?: (status: number, size: number) => void;
  datagram?: readonly Uint8Array[];
}

/** The request class of `dgram` (`SendWrap`), read off its first send; `null` when not found. */
let RequestClass: (new () => SendRequest) | null | undefined;

/** The libuv handle of a socket, as `dgram` calls it. */
interface UdpHandle {
  /** A connected socket: `(request, buffers, count, hasCallback)`; else `(request, buffers, count, port, address, hasCallback)`. */
  send(request: SendRequest, buffers: readonly Uint8Array[], count: number, ...rest: unknown[]): number;
}

/** Node's symbol for a socket's state (`kStateSymbol`), found by its description once. */
let stateSymbol: symbol | null | undefined;

function handleOf(socket: Socket): UdpHandle | undefined {
  if (stateSymbol === undefined) stateSymbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol') ?? null;
  if (stateSymbol === null) return undefined;
  const state = (socket as unknown as Record<symbol, { handle?: unknown } | undefined>)[stateSymbol];
  const handle = state?.handle as Partial<UdpHandle> | null | undefined;
  return typeof handle?.send === 'function' ? (handle as UdpHandle) : undefined;
}

/**
 * Makes the next `dgram` send through `handle` tell us the request class it uses; the handle is
 * left as it was at that send (a `udp6` handle has its own `send`, the other ones their class's).
 */
function learnRequestClass(handle: UdpHandle): void {
  const own = Object.getOwnPropertyDescriptor(handle, 'send');
  Object.defineProperty(handle, 'send', {
    configurable: true,
    writable: true,
    value(this: UdpHandle, request: SendRequest, ...rest: [readonly Uint8Array[], number, ...unknown[]]): number {
      if (own !== undefined) Object.defineProperty(handle, 'send', own);
      else delete (handle as Partial<UdpHandle>).send;
      if (RequestClass === undefined) {
        const found = (request as { constructor?: unknown } | null)?.constructor;
        RequestClass = typeof found === 'function' && found !== Object ? (found as new () => SendRequest) : null;
      }
      return handle.send(request, ...rest);
    },
  });
}

/** What {@link DirectSender.send} answers, besides a negative system error code. */
export const QUEUED = 0;

/**
 * Sends datagrams through a socket's handle, as `socket.send` would without its per-call work
 * (argument checks, the address lookup, a closure and a new request per datagram): one request
 * is kept and used again as long as each datagram leaves within the call, which is how the handle
 * sends when its queue is empty and the system has room. A datagram that has to wait takes the
 * request with it (the handle calls `done` with 0 or a negative system error code, and the
 * datagram's size, when it left or failed) and keeps its bytes alive.
 */
export class DirectSender {
  private request: SendRequest | undefined;
  private readonly buffers: Uint8Array[] = [];
  private readonly oncomplete: (status: number, size: number) => void;

  constructor(
    private readonly handle: UdpHandle,
    private readonly Request: new () => SendRequest,
    done: (status: number, size: number) => void,
  ) {
    this.oncomplete = done;
  }

  /**
   * Sends `datagram` on a connected socket. Answers a positive number when it left within the
   * call (`datagram` is free again), {@link QUEUED} when it waits in the socket's queue (`datagram`
   * must not change until `done`), or a negative system error code (nothing was sent).
   */
  send(datagram: Uint8Array): number {
    const request = this.prepare(datagram);
    return this.settle(request, this.handle.send(request, this.buffers, 1, true));
  }

  /** {@link send} from an unconnected socket to `address` (an IP address of the socket's family) and `port`. */
  sendTo(datagram: Uint8Array, port: number, address: string): number {
    const request = this.prepare(datagram);
    return this.settle(request, this.handle.send(request, this.buffers, 1, port, address, true));
  }

  private prepare(datagram: Uint8Array): SendRequest {
    let request = this.request;
    if (request === undefined) {
      request = new this.Request();
      request.oncomplete = this.oncomplete;
      this.request = request;
    }
    this.buffers[0] = datagram;
    return request;
  }

  private settle(request: SendRequest, result: number): number {
    if (result === QUEUED) {
      // The handle keeps the request until the datagram has left: it needs its own buffers array.
      request.datagram = [this.buffers[0]!];
      this.request = undefined;
    } else if (result < 0) {
      // A failure may come after the handle took the request for its queue: not used again.
      this.request = undefined;
    }
    this.buffers[0] = EMPTY;
    return result;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A {@link DirectSender} for `socket` (bound, and connected if `send` is used); `null` when this
 * Node's `dgram` is not built as expected (send through `socket.send`, always); `undefined` while
 * the request class is not known yet: send this datagram through `socket.send`, which this call
 * arranges to teach us that class, and ask again at the next one.
 */
export function directSender(socket: Socket, done: (status: number, size: number) => void): DirectSender | null | undefined {
  if (RequestClass === null) return null;
  const handle = handleOf(socket);
  if (handle === undefined) return null;
  if (RequestClass === undefined) {
    learnRequestClass(handle);
    return undefined;
  }
  return new DirectSender(handle, RequestClass, done);
}

/** The error `dgram` would give for the system error `code` of a send (`send EMSGSIZE 127.0.0.1:9`). */
export function sendError(code: number, address?: string, port?: number): NodeJS.ErrnoException {
  let name: string;
  try {
    name = getSystemErrorName(code);
  } catch {
    name = `errno ${code}`;
  }
  const where = address === undefined ? '' : ` ${address}:${port}`;
  return Object.assign(new Error(`send ${name}${where}`), { code: name, errno: code, syscall: 'send', address, port });
}
