import { commonOptionKeys, connectionLimitKeys, reconnectKeys } from '@message-io/core/adapter';
import type { WsCommonOptions, WsConnectOptions, WsListenOptions } from './options.js';

// Typed against the option interfaces: an option added to one of them without being listed here
// does not compile, so the runtime lists cannot drift from the types. Shared by the Node and the
// browser builds (this file imports no Node module).

const bothSides: Record<keyof WsCommonOptions, true> = {
  maxMessageSize: true,
  maxPayload: true,
  maxFrameSize: true,
  closeTimeout: true,
  heartbeatInterval: true,
  heartbeatTimeout: true,
  messageTimeout: true,
  perMessageDeflate: true,
};

/** The options `connect` takes with Ws. */
export const wsConnectKeys: Readonly<Record<keyof WsConnectOptions, true>> = {
  ...commonOptionKeys,
  ...reconnectKeys,
  ...bothSides,
  headers: true,
  ca: true,
  servername: true,
  rejectUnauthorized: true,
  cert: true,
  key: true,
  passphrase: true,
  protocols: true,
};

/** The options `listen` takes with Ws. */
export const wsListenKeys: Readonly<Record<keyof WsListenOptions, true>> = {
  ...commonOptionKeys,
  ...connectionLimitKeys,
  ...bothSides,
  path: true,
  origins: true,
  authenticate: true,
  handshakeTimeout: true,
  maxPendingHandshakes: true,
  cert: true,
  key: true,
  passphrase: true,
  ca: true,
  requestCert: true,
  reuseReceiveBuffer: true,
  server: true,
  selectProtocol: true,
  backlog: true,
};
