import { InvalidOptionError, optionReader } from '@message-io/core/adapter';

/**
 * The largest message of a Ws connection, from its options: `maxMessageSize`, the name every
 * transport uses, or `maxPayload`, the name of the `ws` package, kept as an alias. Both may be
 * given only with the same value. Shared by the Node and the browser builds (no Node import).
 * @throws InvalidOptionError
 */
export function readMaxMessageSize(options: object | undefined, fallback: number, max: number): number {
  const size = optionReader.integer(options, 'maxMessageSize', fallback, 1, max);
  const payload = optionReader.integer(options, 'maxPayload', fallback, 1, max);
  const sized = optionReader.own(options, 'maxMessageSize') !== undefined;
  if (sized && optionReader.own(options, 'maxPayload') !== undefined && size !== payload) {
    throw new InvalidOptionError(`options maxMessageSize (${size}) and maxPayload (${payload}) are one limit under two names: give one of them`);
  }
  return sized ? size : payload;
}
