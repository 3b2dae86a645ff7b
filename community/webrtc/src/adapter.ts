import { Socket, createServer, type Server } from 'node:net';
import {
  InvalidAddressError,
  ListenError,
  isUrlAddr,
  refuseUnknownOptions,
  type Adapter,
  type Listening,
  type RemoteAddr,
  type RemoteContext,
  type SocketAddr,
} from '@message-io/core/adapter';
import { WebRtcLocal } from './listener.js';
import { connectOptionKeys, listenOptionKeys, resolveMaxMessageSize, type WebRtcConnectOptions, type WebRtcListenOptions } from './options.js';
import { WebRtcRemote } from './remote.js';
import { gathered, isLoopback, keepCandidates, newPeerConnection, readSignals, writeSignal } from './signal.js';

/** The label of the one data channel of a connection. */
export const CHANNEL_LABEL = 'message-io';

/** The addresses this transport takes: `host:port` of the listener's signalling socket. */
function socketAddr(addr: RemoteAddr): SocketAddr {
  if (isUrlAddr(addr)) throw new InvalidAddressError(`WebRtc takes host:port addresses, not URLs (${addr.url})`);
  return addr;
}

function bind(server: Server, addr: SocketAddr): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The offering side: connects the signalling socket while ICE gathers (a refused connection is
 * known at once), sends the offer once both are done, then applies the answer; the channel opens
 * on its own.
 */
function offer(remote: WebRtcRemote, pc: ReturnType<typeof newPeerConnection>, target: SocketAddr): void {
  const socket = new Socket();
  socket.on('error', (error) => remote.fail(error));
  remote.watchSignal(socket);
  readSignals(
    socket,
    (message) => {
      if (message.type !== 'answer') return remote.fail(new Error('expected an SDP answer'));
      pc.setRemoteDescription({ type: 'answer', sdp: message.sdp }).catch((error: Error) => remote.fail(error));
    },
    (error) => remote.fail(error),
  );
  const connected = new Promise<void>((resolve) => socket.connect({ host: target.host, port: target.port }, resolve));
  const described = pc.createOffer().then(async (description) => {
    await pc.setLocalDescription(description);
    return gathered(pc);
  });
  Promise.all([described, connected]).then(
    ([description]) => writeSignal(socket, { type: 'offer', sdp: keepCandidates(description.sdp, isLoopback(target.host)) }),
    (error: Error) => remote.fail(error),
  );
}

/** The WebRtc adapter: one WebRTC data channel per connection, set up through a TCP signalling socket. */
export const webRtcAdapter: Adapter<WebRtcConnectOptions, WebRtcListenOptions> = {
  connect(addr: RemoteAddr, options: WebRtcConnectOptions | undefined, context: RemoteContext) {
    const target = socketAddr(addr);
    refuseUnknownOptions(options, connectOptionKeys, 'WebRtc connect');
    const maxMessageSize = resolveMaxMessageSize(options);
    const pc = newPeerConnection();
    const remote = new WebRtcRemote(pc, maxMessageSize, context.maxBufferedBytes, context.linger);
    remote.attach(pc.createDataChannel(CHANNEL_LABEL, { ordered: true }));
    offer(remote, pc, target);
    return remote;
  },

  async listen(addr: RemoteAddr, options: WebRtcListenOptions | undefined, context: RemoteContext): Promise<Listening> {
    const target = socketAddr(addr);
    refuseUnknownOptions(options, listenOptionKeys, 'WebRtc listen');
    const maxMessageSize = resolveMaxMessageSize(options);
    const server = createServer({ noDelay: true });
    try {
      await bind(server, target);
    } catch (cause) {
      throw new ListenError(`cannot listen on ${target.host}:${target.port}: ${(cause as Error).message}`, { cause });
    }
    const bound = server.address();
    if (bound === null || typeof bound === 'string') {
      server.close();
      throw new ListenError('the server has no address');
    }
    const local = new WebRtcLocal(server, (socket, accepted) => {
      const { remoteAddress: host, remotePort: port } = socket;
      if (host === undefined || port === undefined) return socket.destroy();
      socket.on('error', () => undefined);
      readSignals(
        socket,
        (message) => {
          if (message.type !== 'offer') return socket.destroy();
          socket.removeAllListeners('data');
          const pc = newPeerConnection();
          const remote = new WebRtcRemote(pc, maxMessageSize, context.maxBufferedBytes, context.linger);
          remote.watchSignal(socket);
          pc.onDataChannel.subscribe((channel) => remote.attach(channel));
          accepted(remote, { host, port });
          answer(pc, message.sdp, socket, isLoopback(host)).catch((error: Error) => remote.fail(error));
        },
        () => socket.destroy(),
      );
    });
    return { local, addr: { host: bound.address, port: bound.port } };
  },
};

async function answer(pc: ReturnType<typeof newPeerConnection>, sdp: string, socket: Socket, loopbackOnly: boolean): Promise<void> {
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  const description = await gathered(pc);
  writeSignal(socket, { type: 'answer', sdp: keepCandidates(description.sdp, loopbackOnly) });
}
