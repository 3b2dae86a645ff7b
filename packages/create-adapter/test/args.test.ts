// The command line of `npm create @message-io/adapter`.
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/args.js';

describe('parseCliArgs', () => {
  it('reads the name and every flag', () => {
    const args = parseCliArgs(['my-link', '--dir', 'out', '--package-name', '@me/link', '--transport-name', 'Link', '--description', 'd', '-y', '--force']);
    expect(args).toEqual({
      name: 'my-link',
      dir: 'out',
      packageName: '@me/link',
      transportName: 'Link',
      description: 'd',
      yes: true,
      force: true,
      help: false,
    });
  });

  it('has defaults, and refuses unknown flags and a second name', () => {
    expect(parseCliArgs([])).toMatchObject({ name: undefined, yes: false, force: false, help: false });
    expect(parseCliArgs(['-h']).help).toBe(true);
    expect(() => parseCliArgs(['--nope'])).toThrow();
    expect(() => parseCliArgs(['a', 'b'])).toThrow(/one name/);
  });
});
