// The adapter conformance suite (@message-io/adapter-testkit) for Tcp and FramedTcp, over IPv4 and IPv6.
import { registerConformanceTests } from '@message-io/adapter-testkit';
import { FramedTcp, Tcp } from '@message-io/tcp';

const MiB = 1024 * 1024;

for (const bindAddr of ['127.0.0.1:0', '[::1]:0']) {
  registerConformanceTests({ transport: Tcp, bindAddr, name: `Tcp conformance on ${bindAddr}`, idleTimeoutOption: 'idleTimeout' });
  registerConformanceTests({
    transport: FramedTcp,
    bindAddr,
    name: `FramedTcp conformance on ${bindAddr}`,
    connectOptions: { maxMessageSize: MiB },
    listenOptions: { maxMessageSize: MiB },
    maxMessageSize: MiB,
    idleTimeoutOption: 'idleTimeout',
  });
}

// With borrowing opted in on both sides, every case still holds but the two that keep messages
// after their callback, which borrowing rules out by design.
const borrowing = 'messages are lent (reuseReceiveBuffer: true): kept, they are overwritten by design';
for (const transport of [Tcp, FramedTcp]) {
  registerConformanceTests({
    transport,
    bindAddr: '127.0.0.1:0',
    name: `${transport.name} conformance with reuseReceiveBuffer on 127.0.0.1:0`,
    connectOptions: { reuseReceiveBuffer: true },
    listenOptions: { reuseReceiveBuffer: true },
    skip: { 'kept messages stay intact': borrowing, 'messages read after an await stay intact': borrowing },
  });
}
