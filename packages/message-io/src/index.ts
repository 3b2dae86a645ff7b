/**
 * message-io: the core and every first-party transport in one package.
 * `import { split, FramedTcp, Tcp, Udp, Ws, Ipc, Nats } from 'message-io'`.
 */
export * from '@message-io/core';
export * from '@message-io/tcp';
export * from '@message-io/udp';
export * from '@message-io/ws';
export * from '@message-io/ipc';
export * from '@message-io/nats';
