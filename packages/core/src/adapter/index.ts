/**
 * `@message-io/core/adapter`: everything a transport package needs, in one import. The contract
 * (`Adapter`, `Remote`, `Local` and the watches the core hands them), transport values and
 * capabilities, statuses, address parsing, errors, option readers, lent bytes (`BorrowedBytes`), and
 * `HeldRest` (holding the rest of a read when the node says stop), `SharedMessage` (a group send's
 * message, for `Remote.sendShared`). Nothing here needs Node: an
 * adapter built on Node's sockets finds its speed helpers in `@message-io/node-net`. Applications
 * import `@message-io/core` instead, which re-exports all of this too.
 */
export type {
  Acceptor,
  Adapter,
  Listening,
  ListenContext,
  Local,
  LocalWatch,
  Readiness,
  Refusal,
  RefuseReason,
  Remote,
  RemoteContext,
  RemoteWatch,
} from './adapter.js';
export {
  formatRemoteAddr,
  formatSocketAddr,
  isIPv4,
  isIPv6,
  isUrlAddr,
  parseRemoteAddr,
  parseSocketAddr,
  type AddressInput,
  type RemoteAddr,
  type SocketAddr,
} from './address.js';
export { BorrowedBytes } from './borrowed.js';
export { SharedMessage } from './shared.js';
export type { PeerCertificate } from './peer-certificate.js';
export * from './errors.js';
export {
  commonOptionKeys,
  connectionLimitKeys,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_LINGER,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_STORED_BYTES,
  optionReader,
  reconnectKeys,
  refuseUnknownOptions,
  resolveCommonOptions,
  resolveListenOptions,
  resolveReconnect,
  type ResolvedCommonOptions,
  type ResolvedListenOptions,
  type ResolvedReconnectPolicy,
} from './options.js';
export { PendingStatus, SendStatus } from './status.js';
export {
  isTransport,
  type ConnectionLimitOptions,
  type ConnectOptions,
  type ConnectOptionsOf,
  type ListenOptions,
  type ListenOptionsOf,
  type ReconnectOptions,
  type ReconnectPolicy,
  type Transport,
  type TransportCapabilities,
} from './transport.js';
export { HeldRest, type HeldRestOwner } from './held-rest.js';
