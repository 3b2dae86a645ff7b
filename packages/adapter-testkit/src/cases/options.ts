// Options an adapter does not take are refused, on connect and on listen, for any transport.
import { expect } from 'vitest';
import { InvalidOptionError } from '@message-io/core';
import type { Harness } from '../harness.js';

/** A key no transport takes. */
const UNKNOWN = 'bogus';

function expectRefused(error: unknown, call: 'connect' | 'listen'): void {
  if (error === undefined) {
    throw new Error(
      `${call} took the unknown option ${UNKNOWN}: an adapter must refuse options it does not know with InvalidOptionError ` +
        '(refuseUnknownOptions of @message-io/core does it)',
    );
  }
  expect(error, `the error of ${call} with { ${UNKNOWN}: true }`).toBeInstanceOf(InvalidOptionError);
  expect((error as InvalidOptionError).code).toBe('ERR_INVALID_OPTION');
  expect((error as Error).message, `the message of ${call} names the unknown key`).toContain(UNKNOWN);
}

export async function unknownOption(h: Harness): Promise<void> {
  const { transport, connectOptions, listenOptions } = h.settings;
  const server = h.node();
  const { addr } = await h.listen(server.handler);
  const net = h.node().handler.network();
  let connectError: unknown;
  try {
    net.connect(transport, addr, { ...(connectOptions as object | undefined), [UNKNOWN]: true } as never);
  } catch (error) {
    connectError = error;
  }
  expectRefused(connectError, 'connect');
  const listenOptionsWith = { ...(listenOptions as object | undefined), [UNKNOWN]: true } as never;
  const listenError = await net.listen(transport, h.settings.bindAddr(), listenOptionsWith).then(
    () => undefined,
    (error: unknown) => error ?? new Error('listen rejected with nothing'),
  );
  expectRefused(listenError, 'listen');
}

/** Registers the option cases. */
export function registerOptionCases(h: Harness): void {
  h.case('unknown option', () => unknownOption(h));
}
