// refuseUnknownOptions and commonOptionKeys: what adapters use to refuse options they do not take;
// optionReader and resolveCommonOptions read own properties only (issue 17, weakness 6: a value
// inherited from a prototype, such as one planted on Object.prototype elsewhere, counts as absent).
import { describe, expect, it } from 'vitest';
import {
  commonOptionKeys,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_LINGER,
  DEFAULT_MAX_BUFFERED_BYTES,
  InvalidOptionError,
  optionReader,
  refuseUnknownOptions,
  resolveCommonOptions,
  split,
} from '@message-io/core';

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
    expect(error.message).toBe('unknown option bogus for Link listen; Link listen takes maxBufferedBytes, connectTimeout, linger, maxMessageSize, noDelay');
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

  it('looks at own keys only: an inherited unknown key is not read, so not refused; an own one still is', () => {
    expect(() => refuseUnknownOptions(Object.create({ bogus: true }) as object, known, 'Link connect')).not.toThrow();
    const own = Object.assign(Object.create({ linger: 5 }) as object, { bogus: true });
    expect(thrown(() => refuseUnknownOptions(own, known, 'Link connect')).message).toMatch(/^unknown option bogus for Link connect/);
    const bare = Object.assign(Object.create(null) as object, { maxMesageSize: 1 });
    expect(thrown(() => refuseUnknownOptions(bare, known, 'Link connect')).message).toContain('(did you mean maxMessageSize?)');
  });
});

describe('options read as own properties only (OPT-01)', () => {
  it('optionReader ignores inherited values, valid or not, and reads own ones', () => {
    const inherited = Object.create({ flag: true, size: 5, hook: () => 1, bad: 'x' }) as object;
    expect(optionReader.boolean(inherited, 'flag', false)).toBe(false);
    expect(optionReader.integer(inherited, 'size', 10, 1, 100)).toBe(10);
    expect(optionReader.func(inherited, 'hook')).toBeUndefined();
    expect(optionReader.boolean(inherited, 'bad', true)).toBe(true);
    expect(optionReader.integer(inherited, 'bad', 1, 0, 2)).toBe(1);
    expect(optionReader.own(inherited, 'size')).toBeUndefined();
    // Own values win over inherited ones, on an ordinary object and on one without a prototype.
    const own = Object.assign(Object.create({ size: 5 }) as object, { size: 7, flag: true });
    expect(optionReader.integer(own, 'size', 10, 1, 100)).toBe(7);
    expect(optionReader.own(own, 'size')).toBe(7);
    expect(optionReader.boolean(own, 'flag', false)).toBe(true);
    const bare = Object.assign(Object.create(null) as object, { size: 3 });
    expect(optionReader.integer(bare, 'size', 10, 1, 100)).toBe(3);
    expect(() => optionReader.integer({ size: 0 }, 'size', 10, 1, 100)).toThrow(InvalidOptionError);
    // Names every object inherits are not options either.
    expect(optionReader.own({}, 'toString')).toBeUndefined();
    expect(optionReader.func({}, 'constructor')).toBeUndefined();
  });

  it('resolveCommonOptions ignores inherited maxBufferedBytes, connectTimeout and linger (even invalid ones)', () => {
    const defaults = { maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES, connectTimeout: DEFAULT_CONNECT_TIMEOUT, linger: DEFAULT_LINGER };
    expect(resolveCommonOptions(Object.create({ maxBufferedBytes: 1, connectTimeout: 1, linger: 0 }))).toEqual(defaults);
    expect(resolveCommonOptions(Object.create({ maxBufferedBytes: 0, connectTimeout: 'x', linger: -1 }))).toEqual(defaults);
    expect(resolveCommonOptions(Object.assign(Object.create({ linger: 0 }) as object, { maxBufferedBytes: 64 }))).toEqual({
      ...defaults,
      maxBufferedBytes: 64,
    });
    expect(() => resolveCommonOptions({ maxBufferedBytes: 0 })).toThrow(InvalidOptionError);
  });

  it('split ignores inherited maxStoredBytes and checkBorrowed', () => {
    const [handler] = split(Object.create({ maxStoredBytes: 0, checkBorrowed: 'yes' }) as never);
    handler.stop();
    expect(() => split({ maxStoredBytes: 0 })).toThrow(InvalidOptionError);
  });
});

describe('commonOptionKeys', () => {
  it('lists the options the core reads, and cannot be changed', () => {
    expect(Object.keys(commonOptionKeys)).toEqual(['maxBufferedBytes', 'connectTimeout', 'linger']);
    expect(Object.isFrozen(commonOptionKeys)).toBe(true);
  });
});
