import type { RefuseReason } from '../adapter/adapter.js';
import type { Endpoint } from './endpoint.js';
import type { ResourceId } from './resource-id.js';

// Diagnostics channels (Node's `diagnostics_channel`, the mechanism undici and `http` publish on):
// what a node does, for tools that subscribe. Core imports no Node module: the module is asked of
// the host at run time (`process.getBuiltinModule`, Node 20.16 and later), and where there is none
// (a browser) nothing is published. Each message is built only when the channel has subscribers.

/** `message-io:listen`: a listener is bound. */
export interface ListenDiagnostic {
  readonly listenerId: ResourceId;
  /** The transport's name, such as `FramedTcp`. */
  readonly transport: string;
  /** The address bound, as `listen` resolves it. */
  readonly addr: string;
}

/** `message-io:connect`: `connect` (or `connectAndWait`) started a connection; its outcome follows as a `connected` event. */
export interface ConnectDiagnostic {
  readonly endpoint: Endpoint;
  /** The transport's name. */
  readonly transport: string;
}

/** `message-io:accept`: a listener accepted a connection, now ready (the `accepted` event). */
export interface AcceptDiagnostic {
  readonly endpoint: Endpoint;
  readonly listenerId: ResourceId;
}

/** Why a connection ended, in a {@link DisconnectDiagnostic}. */
export type DisconnectReason =
  /** The peer closed it cleanly. */
  | 'closed'
  /** An error ended it: a socket error, a protocol error, a limit (see `error`). */
  | 'error'
  /** A connection made with `connect` failed before it was ready (see `error`). */
  | 'failed'
  /** `remove()` closed it. */
  | 'removed'
  /** `stop()` closed it. */
  | 'stopped';

/** `message-io:disconnect`: a connection ended, for any reason, including `remove()` and `stop()` (which emit no event). */
export interface DisconnectDiagnostic {
  readonly endpoint: Endpoint;
  readonly reason: DisconnectReason;
  /** What ended it, for `error` and `failed`. */
  readonly error?: Error;
}

/** `message-io:refuse`: a listener turned a connection or handshake away before accepting it (it never becomes an `accepted` event). */
export interface RefuseDiagnostic {
  readonly listenerId: ResourceId;
  /** Why: a limit, a timeout, a path, an Origin, `authenticate`, TLS, or a peer that does not speak the protocol. */
  readonly reason: RefuseReason;
  /** The peer's address (`127.0.0.1:50123`), when the transport knows it. */
  readonly addr?: string;
  /** A short detail from the transport, such as `HTTP 401`. */
  readonly detail?: string;
  /** The error behind it, when there is one (a failed TLS handshake). */
  readonly error?: Error;
}

/** `message-io:error`: a failure the application would otherwise not see, such as a listener whose socket failed. */
export interface ErrorDiagnostic {
  /** The listener or connection it happened to. */
  readonly resourceId: ResourceId;
  readonly error: Error;
}

/** `message-io:backpressure`: a connection answered `Backpressure` (its unsent bytes reached the cap: `full`), or drained (`writable`). */
export interface BackpressureDiagnostic {
  readonly endpoint: Endpoint;
  readonly state: 'full' | 'writable';
  /** The connection's unsent bytes when it happened. */
  readonly bufferedBytes: number;
}

/** The names of the channels message-io publishes on. */
export const DIAGNOSTICS_CHANNELS = {
  listen: 'message-io:listen',
  connect: 'message-io:connect',
  accept: 'message-io:accept',
  disconnect: 'message-io:disconnect',
  refuse: 'message-io:refuse',
  error: 'message-io:error',
  backpressure: 'message-io:backpressure',
} as const;

/** What the core needs of a `diagnostics_channel` channel. */
interface Channel<M> {
  readonly hasSubscribers: boolean;
  publish(message: M): void;
}

type DiagnosticsChannelModule = { channel(name: string): Channel<unknown> };

function channelModule(): DiagnosticsChannelModule | undefined {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return host?.getBuiltinModule?.('diagnostics_channel') as DiagnosticsChannelModule | undefined;
  } catch {
    return undefined;
  }
}

const module = channelModule();

function channel<M>(name: string): Channel<M> | undefined {
  return module?.channel(name) as Channel<M> | undefined;
}

/** The channels, or `undefined` each where the host has no `diagnostics_channel`. */
export const diagnostics: {
  readonly listen: Channel<ListenDiagnostic> | undefined;
  readonly connect: Channel<ConnectDiagnostic> | undefined;
  readonly accept: Channel<AcceptDiagnostic> | undefined;
  readonly disconnect: Channel<DisconnectDiagnostic> | undefined;
  readonly refuse: Channel<RefuseDiagnostic> | undefined;
  readonly error: Channel<ErrorDiagnostic> | undefined;
  readonly backpressure: Channel<BackpressureDiagnostic> | undefined;
} = {
  listen: channel(DIAGNOSTICS_CHANNELS.listen),
  connect: channel(DIAGNOSTICS_CHANNELS.connect),
  accept: channel(DIAGNOSTICS_CHANNELS.accept),
  disconnect: channel(DIAGNOSTICS_CHANNELS.disconnect),
  refuse: channel(DIAGNOSTICS_CHANNELS.refuse),
  error: channel(DIAGNOSTICS_CHANNELS.error),
  backpressure: channel(DIAGNOSTICS_CHANNELS.backpressure),
};

/** Publishes a disconnect when someone listens. */
export function publishDisconnect(endpoint: Endpoint, reason: DisconnectReason, error?: Error): void {
  const channel = diagnostics.disconnect;
  if (channel?.hasSubscribers === true) channel.publish(error === undefined ? { endpoint, reason } : { endpoint, reason, error });
}
