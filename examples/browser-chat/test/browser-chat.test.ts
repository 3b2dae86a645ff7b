// The browser chat end to end, run as its README says: the example's server (page + chat), the
// page in headless Chromium (Debian's chromium, driven by playwright-core), and the terminal
// client. A line typed in the page reaches the terminal, and the other way round.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, requirePeers, skipWithout } from '../../../test/support/peers.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A program of the example, started with node; its output so far. */
interface Program {
  child: ChildProcess;
  output: () => string;
}

function start(script: string, args: string[]): Program {
  const child = spawn(process.execPath, [dist + script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (data: Buffer) => (out += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (out += data.toString()));
  return { child, output: () => out };
}

/** Waits until `pattern` appears in the program's output; returns the match. */
async function waitOutput(program: Program, pattern: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = program.output().match(pattern);
    if (match !== null) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms; output:\n${program.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('browser-chat example', () => {
  it.skipIf(skipWithout('chromium'))(
    'a page joins the chat, and its line reaches the terminal client (and back)',
    async () => {
      requirePeers('chromium');
      const programs: Program[] = [];
      const profile = mkdtempSync(join(tmpdir(), 'message-io-chromium-'));
      let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
      try {
        const server = start('server.js', ['0']);
        programs.push(server);
        const [, pageUrl] = await waitOutput(server, /chat page: (http:\/\/\S+)/);
        const [, chatUrl] = await waitOutput(server, /chat server: Ws on \S+ \((ws:\/\/\S+)\)/);
        const terminal = start('terminal.js', [chatUrl!, 'tess']);
        programs.push(terminal);
        await waitOutput(terminal, /connected to ws:\/\/\S+ as tess/);

        context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 15_000 });
        const page = context.pages()[0] ?? (await context.newPage());
        await page.goto(pageUrl!, { timeout: 10_000 });
        await page.waitForSelector('body[data-state="connected"]', { timeout: 10_000 });
        await page.fill('#message', 'hello from the page ✓');
        await page.press('#message', 'Enter');
        await waitOutput(terminal, /guest-\d{4}: hello from the page ✓/);

        terminal.child.stdin!.write('hi from the terminal\n');
        await page.getByText('tess: hi from the terminal').waitFor({ timeout: 10_000 });
        expect(await page.locator('#log li').allTextContents()).toEqual(
          expect.arrayContaining([expect.stringMatching(/^guest-\d{4}: hello from the page ✓$/), 'tess: hi from the terminal']),
        );
      } finally {
        if (context !== undefined) await Promise.race([context.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
        rmSync(profile, { recursive: true, force: true });
        for (const { child } of programs) if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
    45_000,
  );
});
