// The adapter conformance suite (@message-io/adapter-testkit) for Tcp and FramedTcp, over IPv4 and IPv6.
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { FramedTcp, Tcp } from '@message-io/tcp';

const MiB = 1024 * 1024;

for (const bindAddr of ['127.0.0.1:0', '[::1]:0']) {
  registerConformanceTests({ transport: Tcp, bindAddr, name: `Tcp conformance on ${bindAddr}` });
  registerConformanceTests({
    transport: FramedTcp,
    bindAddr,
    name: `FramedTcp conformance on ${bindAddr}`,
    connectOptions: { maxMessageSize: MiB },
    listenOptions: { maxMessageSize: MiB },
    maxMessageSize: MiB,
  });
}
