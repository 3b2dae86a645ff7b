// The adapter conformance suite (@message-io/adapter-testkit) for Ws, over IPv4 and IPv6, with
// the default limits and with a 1 MiB maxPayload.
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { Ws } from '@message-io/ws';

const MiB = 1024 * 1024;

for (const bindAddr of ['127.0.0.1:0', '[::1]:0']) {
  registerConformanceTests({ transport: Ws, bindAddr, name: `Ws conformance on ${bindAddr}` });
  registerConformanceTests({
    transport: Ws,
    bindAddr,
    name: `Ws conformance on ${bindAddr}, maxPayload 1 MiB`,
    connectOptions: { maxPayload: MiB },
    listenOptions: { maxPayload: MiB },
    maxMessageSize: MiB,
    limitOption: 'maxPayload', // the inbound size limit case sets the limit under the name this run uses
  });
}
