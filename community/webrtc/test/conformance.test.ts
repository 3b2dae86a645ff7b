// The message-io adapter conformance suite, run against WebRtc: every case runs.
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { WebRtc } from '../src/index.js';

registerConformanceTests({
  transport: WebRtc,
  bindAddr: '127.0.0.1:0',
  connectOptions: { maxMessageSize: 4096 },
  listenOptions: { maxMessageSize: 4096 },
  maxMessageSize: 4096,
  // A longer time per case than the default 15 s, for two costs of werift: its SCTP moves about
  // 5 MB/s on loopback (both ends in this process), and the cases on a consumer behind move 32 MiB;
  // each connection is a peer connection with its own DTLS handshake, and the many-clients echo
  // makes 100 of them (about 12 s here).
  timeout: 30_000,
});
