// IPv6 multicast, on an interface that this test makes: a network namespace of its own with a veth
// pair (IPv6 multicast does not work on loopback), set up here as root and deleted after. The
// nodes run inside the namespace (`ip netns exec`, test/fixtures/multicast6-node.mjs, on the built
// packages); this file checks what they report. Skipped with a printed reason where namespaces
// cannot be made (not root, no iproute2) and CI is not set.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/support/peers.js';

const fixture = fileURLToPath(new URL('./fixtures/multicast6-node.mjs', import.meta.url));
const ns = `mio-mc6-${process.pid}`;
/** The namespace's own address on its interface (a unique local address, inside the namespace only). */
const ADDRESS = 'fd00:6d69:6f::1';
const GROUP = 'ff15::6d69:6f';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000 });

describe.skipIf(skipWithout('netns'))('Udp IPv6 multicast on an interface of a network namespace', () => {
  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'mc0', 'type', 'veth', 'peer', 'name', 'mc1');
    ip('-n', ns, 'link', 'set', 'mc0', 'up');
    ip('-n', ns, 'link', 'set', 'mc1', 'up');
    ip('-n', ns, '-6', 'addr', 'add', `${ADDRESS}/64`, 'dev', 'mc0', 'nodad');
  });
  afterAll(() => {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not made
    }
  });

  it('two listeners join the group, both receive, each answers the sender, and each leaves on remove', () => {
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, fixture, 'mc0', GROUP], { encoding: 'utf8', timeout: 20_000 });
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as {
      addrs: string[];
      a: { from: string; text: string }[];
      b: { from: string; text: string }[];
      sender: { from: string; text: string }[];
      joinedWhileBoth: string[];
      joinedAfterOne: string[];
      joinedAfterBoth: string[];
    };
    const port = report.addrs[0]!.slice(report.addrs[0]!.lastIndexOf(':') + 1);
    expect(report.addrs).toEqual([`[${GROUP}]:${port}`, `[${GROUP}]:${port}`]);
    // Both listeners got the datagram, from the sender's address on the interface.
    expect(report.a.map((m) => m.text)).toEqual(['hello group']);
    expect(report.a[0]!.from).toMatch(new RegExp(`^\\[${ADDRESS}\\]:\\d+$`));
    expect(report.b.map((m) => m.text)).toEqual(['hello group', 'after a left']);
    // Each answered through the datagram's endpoint: unicast, back to the sender.
    expect(report.sender.map((m) => m.text).sort()).toEqual(['from a', 'from b']);
    // Joined on the interface asked for (once per socket), and left on remove.
    expect(report.joinedWhileBoth).toEqual(['mc0']);
    expect(report.joinedAfterOne).toEqual(['mc0']);
    expect(report.joinedAfterBoth).toEqual([]);
  });
});
