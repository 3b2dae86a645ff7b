// The adapter conformance suite (@message-io/adapter-testkit) for Udp, over IPv4 and IPv6.
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { Udp } from '@message-io/udp';

registerConformanceTests({ transport: Udp, bindAddr: '127.0.0.1:0', name: 'Udp conformance on 127.0.0.1:0' });
registerConformanceTests({ transport: Udp, bindAddr: '[::1]:0', name: 'Udp conformance on [::1]:0', maxMessageSize: 65_527 });
