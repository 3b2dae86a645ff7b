/**
 * @message-io/core: the node API (split, handler, listener), the event queue and the registry of
 * connections and listeners. No transport lives here; install one, such as @message-io/tcp.
 *
 * The source is laid out by audience: `node/` is what an application drives (the node, its
 * dispatcher, signals and timers), `network/` the registry of resources and their lifecycle, and
 * `adapter/` the contract a transport implements (also the `@message-io/core/adapter` entry).
 * This entry exports all of it. Core imports no Node module: it runs in a browser as well.
 */
export * from './adapter/index.js';
export { Endpoint } from './network/endpoint.js';
export { EventQueue, type SignalSender, type TimerId } from './node/event-queue.js';
export type {
  AcceptedEvent,
  ConnectedEvent,
  DisconnectedEvent,
  MessageEvent,
  NetEvent,
  NodeEvent,
  ReconnectingEvent,
  SignalEvent,
  WritableEvent,
} from './node/events.js';
export type { ConnectWaitOptions } from './network/connect-wait.js';
export {
  DIAGNOSTICS_CHANNELS,
  type AcceptDiagnostic,
  type BackpressureDiagnostic,
  type ConnectDiagnostic,
  type DisconnectDiagnostic,
  type DisconnectReason,
  type ErrorDiagnostic,
  type ListenDiagnostic,
  type RefuseDiagnostic,
} from './network/diagnostics.js';
export type { ListenerStats, NetworkStats, TrafficStats } from './network/stats.js';
export { NetworkController, type ListenResult } from './network/network.js';
export { Group, GROUP_SLICE_MS, type GroupSendReport } from './network/group.js';
export { STORED_EVENT_COST, type CallbackResult } from './node/dispatcher.js';
export { CHECK_BORROWED_ENV, NodeHandler, NodeListener, split, type NodeOptions } from './node/node.js';
export { ResourceId, type ResourceKind } from './network/resource-id.js';
