// Runs two peer processes as a user would, typing lines into their stdin: each line crosses the
// WebRTC data channel (werift, over loopback UDP) and is printed by the other process.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitWithin, start, stopAll, tsBlocks } from '../../../test/support/child.js';

const peer = fileURLToPath(new URL('../dist/peer.js', import.meta.url));
afterEach(stopAll);

describe('webrtc-peers example', () => {
  it('is what its README shows, word for word', () => {
    const blocks = tsBlocks(readFileSync(new URL('../README.md', import.meta.url), 'utf8'));
    expect(blocks, 'README.md shows src/peer.ts').toContain(readFileSync(new URL('../src/peer.ts', import.meta.url), 'utf8'));
  });

  it('lines typed on either side are printed on the other, in order, and a peer leaves cleanly', async () => {
    const listening = start(peer, ['listen', '127.0.0.1:0']);
    const [, addr] = await listening.waitFor(/listening for peers on (127\.0\.0\.1:\d+)/);
    const connecting = start(peer, ['connect', addr!]);
    // Typed before the channel is open: sent once it is.
    connecting.child.stdin!.write('hello from the connecting peer\n');
    await connecting.waitFor('* data channel open with', 15_000);
    await listening.waitFor('* data channel open with');
    await listening.waitFor(/: hello from the connecting peer\n/);
    for (let i = 1; i <= 3; i++) listening.child.stdin!.write(`line ${i} from the listener\n`);
    await connecting.waitFor(/: line 3 from the listener\n/);
    const order = [...connecting.output().matchAll(/: line (\d) from the listener/g)].map((m) => m[1]);
    expect(order).toEqual(['1', '2', '3']);
    // End of input on the connecting side: what it typed last still arrives, then it leaves.
    connecting.child.stdin!.end('goodbye\n');
    expect(await exitWithin(connecting, 5_000)).toBe(0);
    await listening.waitFor(/: goodbye\n/);
    await listening.waitFor('left');
    listening.child.kill('SIGINT');
    expect(await exitWithin(listening, 5_000)).toBe(0);
  });

  it('a connect to an address where nobody listens says so and exits', async () => {
    const probe = start(peer, ['listen', '127.0.0.1:0']);
    const [, addr] = await probe.waitFor(/listening for peers on (127\.0\.0\.1:\d+)/);
    probe.child.kill('SIGINT');
    expect(await exitWithin(probe, 5_000)).toBe(0);
    const connecting = start(peer, ['connect', addr!]);
    await connecting.waitFor('* cannot connect to');
    expect(await exitWithin(connecting, 5_000)).toBe(0);
  });
});
