// The message-io adapter conformance suite, run against WebRtc. Each skipped case says why: either
// the capability differs (werift's data channel has no receive flow control), or the case does not
// pass yet, with what was seen (see the README's Limits).
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { WebRtc } from '../src/index.js';

const NO_FLOW_CONTROL = 'werift hands over every data-channel message as it arrives: a peer that does not read cannot slow the sender';
const HEAVY_CONNECTIONS = "each connection is a peer connection (UDP socket, DTLS handshake, SCTP in JavaScript): 100 do not all echo within the case's 12 s";
const NOT_YET = 'does not pass yet (issue 20, part 3):';

registerConformanceTests({
  transport: WebRtc,
  bindAddr: '127.0.0.1:0',
  connectOptions: { maxMessageSize: 4096 },
  listenOptions: { maxMessageSize: 4096 },
  maxMessageSize: 4096,
  skip: {
    'backpressure and writable': NO_FLOW_CONTROL,
    'echo with many clients': HEAVY_CONNECTIONS,
    'ordered burst': `${NOT_YET} 20,000 small messages are not all delivered within the case's time by werift's SCTP`,
    'largest message': `${NOT_YET} once passed alone, but times out (over the case's 15 s) on a loaded machine`,
    'a consumer behind: events before forEach are bounded': `${NOT_YET} not all 8192 messages arrive within the case's time`,
  },
});
