/** Fields of Node's `net.Socket` that {@link takeOverSocket} uses: none is in Node's documented API. */
interface SocketFields {
  /** The libuv stream the socket wraps; `null` once the socket has let it go. */
  _handle?: unknown;
  /** The server that accepted the socket: Node counts it among that server's connections. */
  _server?: unknown;
  server?: unknown;
}

/**
 * For adapters on Node's `net`: moves the stream of a socket a server accepted into a new socket
 * made by `build(handle)`, such as `new Socket({ handle, onread })` (Node gives `onread` to the
 * sockets it builds from options, not to the ones a server accepts). `accepted` must have nothing
 * read and not yet handed over (a server made with `pauseOnConnect`, or one whose parser let the
 * stream go). The server's count of its connections moves to the new socket; the old one lets go of
 * the stream, so that nothing done to it can close it, and becomes garbage. Returns `undefined`,
 * with `accepted` left as it was, when the sockets are not built as expected (the adapter then goes
 * on with `accepted`). Design note 0008. No Node import: the adapter builds the socket.
 */
export function takeOverSocket<S extends object>(accepted: S, build: (handle: object) => S): S | undefined {
  const old = accepted as S & SocketFields;
  const handle = old._handle as { readStart?: unknown; useUserBuffer?: unknown } | null | undefined;
  if (typeof handle?.readStart !== 'function' || typeof handle.useUserBuffer !== 'function') return undefined;
  const socket = build(handle) as S & SocketFields & { destroy?: () => void };
  if (socket._handle !== handle) {
    // This Node ignored `handle`: the new socket holds nothing, and `accepted` still owns its stream.
    socket.destroy?.();
    return undefined;
  }
  socket._server = old._server;
  socket.server = old.server;
  old._server = null;
  old.server = null;
  old._handle = null;
  return socket;
}
