// Runs the ws-http example as a user would: the HTTP route answers, and a client on /chat gets its
// subprotocol and its line back as text, through the same port.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
afterEach(stopAll);

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    })
      .on('error', reject)
      .end();
  });
}

describe('ws-http example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const name of ['server.ts', 'client.ts']) {
      expect(blocks, `README.md shows src/${name}`).toContain(readFileSync(new URL(`../src/${name}`, import.meta.url), 'utf8'));
    }
  });

  it('serves HTTP and the WebSocket chat on one port', async () => {
    const server = start(`${dist}server.js`, ['0']);
    const [, addr] = await server.waitFor(/HTTP on http:\/\/(127\.0\.0\.1:\d+)\//);
    expect(await get(`http://${addr}/`)).toBe('200 hello over HTTP\n');
    const client = start(`${dist}client.js`, [`ws://${addr}/chat`, 'hi there']);
    expect(await exitWithin(client, 10_000)).toBe(0);
    expect(client.output()).toContain('connected, subprotocol chat.v1');
    expect(client.output()).toMatch(/text: 127\.0\.0\.1:\d+: hi there/);
    expect(await get(`http://${addr}/missing`)).toBe('404 not found\n');
    const elsewhere = start(`${dist}client.js`, [`ws://${addr}/other`, 'x']);
    expect(await exitWithin(elsewhere, 10_000)).toBe(1);
    expect(elsewhere.output()).toMatch(/cannot connect: .*404/);
  });
});
