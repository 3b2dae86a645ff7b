// An echo server whose counters Prometheus can scrape: FramedTcp on port, Ws at /echo on port + 1,
// and GET /metrics on port + 2 (default port 4100; 0 for any free ports). Prints one line per
// connection accepted, ended or refused.
// Usage: node dist/server.js [port]
import { createServer } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { FramedTcp, split, Ws } from 'message-io';
import { logConnections } from './log.js';
import { registerNetworkMetrics } from './metrics.js';

const base = Number(process.argv[2] ?? 4100);
const port = (offset: number): number => (base === 0 ? 0 : base + offset);
logConnections();

const [handler, listener] = split();
const framed = await handler.network().listen(FramedTcp, `127.0.0.1:${port(0)}`);
const ws = await handler.network().listen(Ws, `127.0.0.1:${port(1)}`, { path: '/echo' });

const registry = new Registry();
collectDefaultMetrics({ register: registry });
registerNetworkMetrics(handler.network(), registry);
const http = createServer((request, response) => {
  if (request.url !== '/metrics') {
    response.writeHead(404).end('see /metrics\n');
    return;
  }
  registry.metrics().then(
    (body) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
    (error: Error) => response.writeHead(500).end(`${error.message}\n`),
  );
});
await new Promise<void>((resolve) => http.listen(port(2), '127.0.0.1', resolve));
const { port: metricsPort } = http.address() as { port: number };
console.log(`echo on FramedTcp ${framed.addr} and Ws ws://${ws.addr}/echo; metrics on http://127.0.0.1:${metricsPort}/metrics`);

process.once('SIGINT', () => handler.stop());
process.once('SIGTERM', () => handler.stop());
await listener.forEach((event) => {
  if (event.type === 'message') handler.network().send(event.endpoint, event.data);
});
http.close();
