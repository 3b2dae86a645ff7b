/** Ws's default largest message (`maxPayload`): 64 MiB, the largest message the Rust message-io's reader accepts. */
export const DEFAULT_MAX_PAYLOAD: number = 64 * 1024 * 1024;
/** Ws's default largest frame sent (`maxFrameSize`): 16 MiB, the largest frame the Rust message-io's reader accepts. */
export const DEFAULT_MAX_FRAME_SIZE: number = 16 * 1024 * 1024;
/** Ws's default `handshakeTimeout` for listeners: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT: number = 10_000;
/** Ws's default `maxPendingHandshakes` for listeners: 1024 sockets accepted and not yet upgraded. */
export const DEFAULT_MAX_PENDING_HANDSHAKES: number = 1024;
/** The path a Ws client asks for when it is given a socket address, as the Rust message-io does. */
export const DEFAULT_PATH = '/message-io-default';
