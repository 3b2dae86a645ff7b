import {
  commonOptionKeys,
  connectionLimitKeys,
  optionReader,
  reconnectKeys,
  type ConnectionLimitOptions,
  type ConnectOptions,
  type ListenOptions,
  type ReconnectOptions,
} from '@message-io/core/adapter';

/** Options of `connect` with WebRtc. The core's own (`maxBufferedBytes`, `connectTimeout`, `linger`) come with `ConnectOptions`. */
export interface WebRtcConnectOptions extends ConnectOptions, ReconnectOptions {
  /** Largest message sent or accepted, in bytes. Default and most: {@link MAX_MESSAGE_SIZE}. */
  maxMessageSize?: number;
}

/** Options of `listen` with WebRtc. They apply to every connection the listener accepts. */
export interface WebRtcListenOptions extends ListenOptions, ConnectionLimitOptions {
  /** As {@link WebRtcConnectOptions.maxMessageSize}, for accepted connections. */
  maxMessageSize?: number;
}

/** The options `connect` takes: the core's and ours. */
export const connectOptionKeys: Readonly<Record<keyof WebRtcConnectOptions, true>> = { ...commonOptionKeys, ...reconnectKeys, maxMessageSize: true };

/** The options `listen` takes: the core's and ours. */
export const listenOptionKeys: Readonly<Record<keyof WebRtcListenOptions, true>> = { ...commonOptionKeys, ...connectionLimitKeys, maxMessageSize: true };

/**
 * The SCTP max-message-size werift 0.24 advertises in its SDP (`a=max-message-size:65536`) and
 * enforces on send; each of our data-channel messages spends one byte on a header (so that an
 * empty message still is one), which leaves 65535 bytes for the user's message.
 */
export const SCTP_MAX_MESSAGE_SIZE = 65_536;

/** Largest message: the SCTP limit less our one-byte header. */
export const MAX_MESSAGE_SIZE: number = SCTP_MAX_MESSAGE_SIZE - 1;

/** Reads `maxMessageSize`. @throws InvalidOptionError */
export function resolveMaxMessageSize(options: { maxMessageSize?: number } | undefined): number {
  return optionReader.integer(options, 'maxMessageSize', MAX_MESSAGE_SIZE, 0, MAX_MESSAGE_SIZE);
}
