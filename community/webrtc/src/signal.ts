import type { Socket } from 'node:net';
import { RTCPeerConnection, type RTCSessionDescription } from 'werift';
import { FrameDecoder, frame } from './framing.js';

/**
 * Signalling: one offer and one answer, each a length-prefixed JSON frame (the FramedTcp wire
 * format: a 4-byte big-endian length, then the bytes) on a short-lived TCP connection. ICE is not
 * trickled: each side gathers all its candidates before it sends its description.
 */
export interface SignalMessage {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
}

/** Largest signalling frame accepted: an SDP is a few kilobytes. */
const MAX_SIGNAL_BYTES = 64 * 1024;

/** Longest wait for ICE gathering (host candidates only: usually a few milliseconds). */
const GATHER_TIMEOUT_MS = 5_000;

/** Writes one signalling message. */
export function writeSignal(socket: Socket, message: SignalMessage): void {
  socket.write(frame(new TextEncoder().encode(JSON.stringify(message))));
}

/** Calls `onMessage` with each signalling message read from `socket`, `onError` on a bad one. */
export function readSignals(socket: Socket, onMessage: (message: SignalMessage) => void, onError: (error: Error) => void): void {
  const decoder = new FrameDecoder(MAX_SIGNAL_BYTES);
  const sink = {
    received: (data: Uint8Array): void => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(data));
      } catch (error) {
        onError(error as Error);
        return;
      }
      const message = parsed as Partial<SignalMessage> | null;
      if (message === null || (message.type !== 'offer' && message.type !== 'answer') || typeof message.sdp !== 'string') {
        onError(new Error('malformed signalling message'));
        return;
      }
      onMessage({ type: message.type, sdp: message.sdp });
    },
  };
  socket.on('data', (chunk: Buffer) => {
    const error = decoder.decode(chunk, sink);
    if (error !== undefined) onError(error);
  });
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * A peer connection with no STUN nor TURN server: host candidates only. When the signalling goes
 * over loopback, only loopback candidates are offered (see {@link keepCandidates}).
 */
export function newPeerConnection(): RTCPeerConnection {
  return new RTCPeerConnection({ iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false });
}

/** Whether the peer is reached over loopback: then candidates other than 127.0.0.1 are dropped. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.') || host === '::ffff:127.0.0.1';
}

/** The SDP with, when `loopbackOnly`, every candidate line not on 127.0.0.1 removed. */
export function keepCandidates(sdp: string, loopbackOnly: boolean): string {
  if (!loopbackOnly) return sdp;
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || line.split(' ')[4] === '127.0.0.1')
    .join('\r\n');
}

/** Resolves with the local description once every candidate is gathered (non-trickle ICE). */
export function gathered(pc: RTCPeerConnection): Promise<RTCSessionDescription> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      subscription.unSubscribe();
      const description = pc.localDescription;
      if (description === null) reject(new Error('no local description'));
      else resolve(description);
    };
    const timer = setTimeout(() => {
      subscription.unSubscribe();
      reject(new Error(`ICE gathering took over ${GATHER_TIMEOUT_MS} ms`));
    }, GATHER_TIMEOUT_MS);
    const subscription = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    if (pc.iceGatheringState === 'complete') done();
  });
}
