import { constants } from 'node:buffer';
import { optionReader, type ConnectOptions, type ConnectionLimitOptions, type ListenOptions } from '@message-io/core/adapter';
import { MAX_FRAME_LENGTH } from './framing.js';

/** Options of `connect` with Ipc. The core's own (`maxBufferedBytes`, `connectTimeout`, `linger`) come with `ConnectOptions`. */
export interface IpcConnectOptions extends ConnectOptions {
  /** Largest message sent or accepted, in bytes. Default 64 MiB. A peer announcing more is disconnected. */
  maxMessageSize?: number;
}

/** Options of `listen` with Ipc. They apply to every connection the listener accepts. */
export interface IpcListenOptions extends ListenOptions, ConnectionLimitOptions {
  /** As {@link IpcConnectOptions.maxMessageSize}, for accepted connections. Default 64 MiB. */
  maxMessageSize?: number;
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

/** Reads `backlog`. @throws InvalidOptionError */
export function resolveBacklog(options: { backlog?: number } | undefined): number {
  return optionReader.integer(options, 'backlog', 511, 0, 65535);
}
