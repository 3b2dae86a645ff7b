import { constants } from 'node:buffer';
import type { StreamSocket } from '@message-io/node-net';
import {
  IdleTimeoutError,
  optionReader,
  type ConnectOptions,
  type ConnectionLimitOptions,
  type ListenOptions,
  type ReconnectOptions,
} from '@message-io/core/adapter';
import { MAX_FRAME_LENGTH } from './framing.js';

/** Options of `connect` with Ipc. The core's own (`maxBufferedBytes`, `connectTimeout`, `linger`) come with `ConnectOptions`. */
export interface IpcConnectOptions extends ConnectOptions, ReconnectOptions {
  /** Largest message sent or accepted, in bytes. Default 64 MiB. A peer announcing more is disconnected. */
  maxMessageSize?: number;
  /**
   * Milliseconds without any byte read or written after which the connection is closed, with
   * `disconnected` carrying an `IdleTimeoutError`. Default 0: off.
   */
  idleTimeout?: number;
  /**
   * Milliseconds a message may take to arrive, from its first byte to its last: past it the
   * connection is closed, with `disconnected` carrying a `MessageTimeoutError` (checked at this
   * interval: a message is cut off between once and twice this after it began). Time while the
   * node itself stopped reading (its consumer behind) does not count. Default 0: off.
   */
  messageTimeout?: number;
}

/** Options of `listen` with Ipc. They apply to every connection the listener accepts. */
export interface IpcListenOptions extends ListenOptions, ConnectionLimitOptions {
  /** As {@link IpcConnectOptions.maxMessageSize}, for accepted connections. Default 64 MiB. */
  maxMessageSize?: number;
  /** As {@link IpcConnectOptions.idleTimeout}, for accepted connections. Default 0: off. */
  idleTimeout?: number;
  /** As {@link IpcConnectOptions.messageTimeout}, for accepted connections. Default 0: off. */
  messageTimeout?: number;
  /** Length of the queue of connections the system accepted and the node has not taken yet. Default 511. */
  backlog?: number;
  /** Let every user read the socket file (its mode gets `o+r`, `g+r`). Default `false`: as the process's umask allows. */
  readableAll?: boolean;
  /** Let every user write the socket file, that is, connect (its mode gets `o+w`, `g+w`). Default `false`. */
  writableAll?: boolean;
}

/** Default largest message: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE: number = 64 * 1024 * 1024;

/** Reads `maxMessageSize`. @throws InvalidOptionError */
export function resolveMaxMessageSize(options: { maxMessageSize?: number } | undefined): number {
  return optionReader.integer(options, 'maxMessageSize', DEFAULT_MAX_MESSAGE_SIZE, 0, Math.min(MAX_FRAME_LENGTH, constants.MAX_LENGTH));
}

/** Reads `idleTimeout` (0: off). @throws InvalidOptionError */
export function resolveIdleTimeout(options: { idleTimeout?: number } | undefined): number {
  return optionReader.integer(options, 'idleTimeout', 0, 0, 2 ** 31 - 1);
}

/** Closes `socket` with an `IdleTimeoutError` once it read and wrote nothing for `idleTimeout` ms (0: never). */
export function watchIdle(socket: StreamSocket, idleTimeout: number): void {
  if (idleTimeout === 0) return;
  socket.setTimeout(idleTimeout, () => socket.destroy(new IdleTimeoutError(`no byte read or written for ${idleTimeout} ms`)));
}

/** Reads `messageTimeout` (0: off). @throws InvalidOptionError */
export function resolveMessageTimeout(options: { messageTimeout?: number } | undefined): number {
  return optionReader.integer(options, 'messageTimeout', 0, 0, 2 ** 31 - 1);
}

/** Reads `backlog`. @throws InvalidOptionError */
export function resolveBacklog(options: { backlog?: number } | undefined): number {
  return optionReader.integer(options, 'backlog', 511, 0, 65535);
}
