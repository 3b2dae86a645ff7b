// refuseUnknownOptions and commonOptionKeys: what adapters use to refuse options they do not take.
import { describe, expect, it } from 'vitest';
import { commonOptionKeys, InvalidOptionError, refuseUnknownOptions } from '@message-io/core';

const known = { ...commonOptionKeys, maxMessageSize: true, noDelay: true } as const;

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('refuseUnknownOptions', () => {
  it('takes no options, known options, and unknown keys set to undefined', () => {
    expect(() => refuseUnknownOptions(undefined, known, 'Link connect')).not.toThrow();
    expect(() => refuseUnknownOptions({}, known, 'Link connect')).not.toThrow();
    expect(() => refuseUnknownOptions({ linger: 5, maxMessageSize: 10, noDelay: false }, known, 'Link connect')).not.toThrow();
    expect(() => refuseUnknownOptions({ bogus: undefined, noDelay: undefined }, known, 'Link connect')).not.toThrow();
  });

  it('refuses an unknown key with InvalidOptionError naming it, the call, and every known option', () => {
    const error = thrown(() => refuseUnknownOptions({ noDelay: true, bogus: true }, known, 'Link listen'));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toBe(
      'unknown option bogus for Link listen; Link listen takes maxBufferedBytes, connectTimeout, linger, maxMessageSize, noDelay',
    );
  });

  it('suggests the option a key most likely misspells', () => {
    expect(thrown(() => refuseUnknownOptions({ maxMesageSize: 10 }, known, 'Link connect')).message).toContain('(did you mean maxMessageSize?)');
    expect(thrown(() => refuseUnknownOptions({ NoDelay: true }, known, 'Link connect')).message).toContain('(did you mean noDelay?)');
    expect(thrown(() => refuseUnknownOptions({ linge: 1 }, known, 'Link connect')).message).toContain('(did you mean linger?)');
    expect(thrown(() => refuseUnknownOptions({ cert: 'pem' }, known, 'Link connect')).message).not.toContain('did you mean');
    expect(thrown(() => refuseUnknownOptions({ ab: 1 }, { a: true }, 'Link connect')).message).not.toContain('did you mean');
  });

  it('does not take inherited names for options', () => {
    expect(thrown(() => refuseUnknownOptions({ toString: 'x' }, known, 'Link connect'))).toBeInstanceOf(InvalidOptionError);
  });
});

describe('commonOptionKeys', () => {
  it('lists the options the core reads, and cannot be changed', () => {
    expect(Object.keys(commonOptionKeys)).toEqual(['maxBufferedBytes', 'connectTimeout', 'linger']);
    expect(Object.isFrozen(commonOptionKeys)).toBe(true);
  });
});
