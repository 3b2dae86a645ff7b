/**
 * @message-io/core: the node API (split, handler, listener), the event queue, the adapter
 * interface and the registry. No transport lives here; install one, such as @message-io/tcp.
 */
export type { Acceptor, Adapter, Listening, Local, LocalWatch, Readiness, Remote, RemoteContext, RemoteWatch } from './adapter.js';
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
export { takeOverSocket } from './accepted-socket.js';
export { BorrowedBytes } from './borrowed.js';
export { Endpoint } from './endpoint.js';
export * from './errors.js';
export { HeldRest, type HeldRestOwner } from './held-rest.js';
export { joinPiece, keepJoined } from './joined-frame.js';
export { EventQueue, type SignalSender, type TimerId } from './event-queue.js';
export type { AcceptedEvent, ConnectedEvent, DisconnectedEvent, MessageEvent, NetEvent, NodeEvent, SignalEvent, WritableEvent } from './events.js';
export type { ConnectWaitOptions } from './connect-wait.js';
export { NetworkController, type ListenResult } from './network.js';
export { STORED_EVENT_COST, type CallbackResult } from './dispatcher.js';
export { CHECK_BORROWED_ENV, NodeHandler, NodeListener, split, type NodeOptions } from './node.js';
export {
  commonOptionKeys,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_LINGER,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_STORED_BYTES,
  optionReader,
  refuseUnknownOptions,
  resolveCommonOptions,
  type ResolvedCommonOptions,
} from './options.js';
export { ResourceId, type ResourceKind } from './resource-id.js';
export { OwnedReads, ReceiveBuffer } from './receive-buffer.js';
export { PendingStatus, SendStatus } from './status.js';
export { giveBackBuffer, takeBuffer } from './spare-buffers.js';
export { WriteBatch, type BatchSink } from './write-batch.js';
export { isTransport, type ConnectOptions, type ConnectOptionsOf, type ListenOptions, type ListenOptionsOf, type Transport, type TransportCapabilities } from './transport.js';
