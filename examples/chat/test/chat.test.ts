// Runs the chat server and terminal clients as a user would, typing lines into their stdin, and
// talks to the server with a raw WebSocket as a browser page would.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
afterEach(stopAll);

async function server() {
  const program = start(`${dist}server.js`, ['127.0.0.1:0']);
  const [, url] = await program.waitFor(/on (ws:\/\/127\.0\.0\.1:\d+\/)/);
  return { program, url: url! };
}

describe('chat example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    for (const file of ['protocol.ts', 'server.ts', 'client.ts']) {
      expect(blocks, `README.md shows src/${file}`).toContain(readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8'));
    }
  });

  it('two clients see each other join, talk, and leave', async () => {
    const { program, url } = await server();
    const ana = start(`${dist}client.js`, ['ana', url]);
    await ana.waitFor('* joined as ana; here: nobody else');
    const bo = start(`${dist}client.js`, ['bo', url]);
    await bo.waitFor('* joined as bo; here: ana');
    await ana.waitFor('* bo joined');
    ana.child.stdin!.write('hello bo\n');
    await bo.waitFor('ana: hello bo');
    bo.child.stdin!.write('hi ana\n/quit\n');
    await ana.waitFor('bo: hi ana');
    await ana.waitFor('* bo left');
    expect(await exitWithin(bo, 5000)).toBe(0);
    ana.child.stdin!.end(); // Ctrl-D
    expect(await exitWithin(ana, 5000)).toBe(0);
    await program.waitFor('ana left (0 here)');
    program.child.kill('SIGINT');
    expect(await exitWithin(program, 5000)).toBe(0);
  });

  it('refuses a name that is taken, and a client told so exits', async () => {
    const { url } = await server();
    const first = start(`${dist}client.js`, ['ana', url]);
    await first.waitFor('joined as ana');
    const second = start(`${dist}client.js`, ['ana', url]);
    await second.waitFor('* refused: the name ana is taken');
    expect(await exitWithin(second, 5000)).toBe(0);
  });

  it('speaks UTF-8 JSON to any WebSocket client, as a browser page would', async () => {
    const { program, url } = await server();
    const bo = start(`${dist}client.js`, ['bo', url]);
    await bo.waitFor('joined as bo');
    const page = new WebSocket(url);
    const received: unknown[] = [];
    page.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8'))));
    try {
      await new Promise((resolve, reject) => page.once('open', resolve).once('error', reject));
      page.send(JSON.stringify({ type: 'join', name: 'web' }));
      page.send(JSON.stringify({ type: 'say', text: 'from the page ✓' }));
      await bo.waitFor('web: from the page ✓');
      bo.child.stdin!.write('seen\n');
      await bo.waitFor('bo: seen');
      await new Promise((r) => setTimeout(r, 100));
      expect(received).toEqual([
        { type: 'welcome', name: 'web', members: ['bo'] },
        { type: 'said', name: 'web', text: 'from the page ✓' },
        { type: 'said', name: 'bo', text: 'seen' },
      ]);
      page.send('not json');
      await program.waitFor('broke the protocol; closed');
      await bo.waitFor('* web left');
    } finally {
      page.terminate();
    }
  });

  it('a client with no server says so and exits', async () => {
    const { program, url } = await server();
    program.child.kill('SIGKILL');
    await program.exit;
    const lonely = start(`${dist}client.js`, ['ana', url]);
    await lonely.waitFor('cannot connect to');
    expect(await exitWithin(lonely, 5000)).toBe(0);
  });
});
