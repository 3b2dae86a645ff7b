// message-io's counters as Prometheus metrics, with prom-client: a node's totals as
// message_io_<name>, and each open listener's as message_io_listener_<name>{transport,addr}.
// Everything is read from one handler.network().stats() per scrape, when Prometheus asks.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NetworkController, NetworkStats, TrafficStats } from 'message-io';

type Kind = 'counter' | 'gauge';

/** The figures exported, each with its metric name (without the prefix), kind and help text. */
const FIGURES: readonly { name: string; kind: Kind; help: string; read: (s: TrafficStats) => number }[] = [
  { name: 'connections', kind: 'gauge', help: 'Connections open now', read: (s) => s.connections },
  { name: 'messages_received_total', kind: 'counter', help: 'Messages received (Tcp: chunks)', read: (s) => s.messagesIn },
  { name: 'received_bytes_total', kind: 'counter', help: 'Bytes of the messages received', read: (s) => s.bytesIn },
  { name: 'messages_sent_total', kind: 'counter', help: 'Sends answered Sent', read: (s) => s.messagesOut },
  { name: 'sent_bytes_total', kind: 'counter', help: 'Bytes of the sends answered Sent', read: (s) => s.bytesOut },
  { name: 'refused_total', kind: 'counter', help: 'Connections or handshakes turned away', read: (s) => s.refused },
  { name: 'backpressure_total', kind: 'counter', help: 'Sends answered Backpressure', read: (s) => s.backpressure },
  { name: 'buffered_bytes', kind: 'gauge', help: 'Bytes accepted by send and not yet written', read: (s) => s.bufferedBytes },
];

/**
 * Registers message-io's metrics for `network` (a node's `handler.network()`) in `registry`.
 * Counters are set to message-io's own totals at each scrape (they only grow while the node runs).
 */
export function registerNetworkMetrics(network: NetworkController, registry: Registry): void {
  // One stats() per scrape: every metric's collect() runs in the same turn of a scrape.
  let cached: NetworkStats | undefined;
  const stats = (): NetworkStats => {
    if (cached === undefined) {
      cached = network.stats();
      setImmediate(() => (cached = undefined));
    }
    return cached;
  };
  const labelNames = ['transport', 'addr'] as const;
  for (const { name, kind, help, read } of FIGURES) {
    const Metric = kind === 'counter' ? Counter : Gauge;
    new Metric({
      name: `message_io_${name}`,
      help: `${help}, for the whole node`,
      registers: [registry],
      collect(this: Counter | Gauge) {
        this.reset();
        this.inc(read(stats()));
      },
    });
    new Metric({
      name: `message_io_listener_${name}`,
      help: `${help}, per open listener`,
      labelNames,
      registers: [registry],
      collect(this: Counter<'transport' | 'addr'> | Gauge<'transport' | 'addr'>) {
        this.reset();
        for (const listener of stats().byListener) this.inc({ transport: listener.transport, addr: listener.addr }, read(listener));
      },
    });
  }
  new Gauge({
    name: 'message_io_listeners',
    help: 'Listeners open now',
    registers: [registry],
    collect() {
      this.set(stats().listeners);
    },
  });
  new Gauge({
    name: 'message_io_stored_bytes',
    help: 'Bytes of the events stored for a consumer that is behind (bounded by maxStoredBytes)',
    registers: [registry],
    collect() {
      this.set(stats().storedBytes);
    },
  });
}
