// The reason given in a ConnectError's message, from the error an adapter reported.
import { describe, expect, it } from 'vitest';
import { ConnectError, split } from '@message-io/core';
import { connectFailureReason } from '../src/network/connect-failure.js';

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, syscall: 'connect' });
}

describe('connectFailureReason', () => {
  it('gives a known system error code with what it means', () => {
    expect(connectFailureReason(systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3999'))).toBe('ECONNREFUSED (connection refused)');
    expect(connectFailureReason(systemError('EACCES', 'connect EACCES /run/app.sock'))).toBe('EACCES (permission denied)');
    expect(connectFailureReason(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid'))).toBe('ENOTFOUND (the name does not resolve)');
  });

  it('gives another code with its message, unless the message only repeats it', () => {
    expect(connectFailureReason(systemError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'))).toBe(
      'DEPTH_ZERO_SELF_SIGNED_CERT (self-signed certificate)',
    );
    expect(connectFailureReason(systemError('EWHATEVER', 'connect EWHATEVER 127.0.0.1:1'))).toBe('EWHATEVER');
  });

  it('gives the message of an error without a code, and says something for anything else', () => {
    expect(connectFailureReason(new Error('the server answered HTTP 404'))).toBe('the server answered HTTP 404');
    expect(connectFailureReason(undefined)).toBe('the peer closed the connection before it was ready');
    expect(connectFailureReason(new TypeError(''))).toBe('TypeError');
    expect(connectFailureReason('a string')).toBe('a string');
    expect(connectFailureReason({})).toBe('no reason given');
  });
});

describe('a transport that cannot even start a connection', () => {
  it('throws ConnectError with what the adapter threw in the message and as the cause', () => {
    const cause = new Error('no sockets left');
    const transport = {
      name: 'Broken',
      connectionOriented: true,
      packetBased: true,
      maxMessageSize: 1024,
      adapter: {
        connect: () => {
          throw cause;
        },
        listen: () => Promise.reject(new Error('not used')),
      },
    };
    const [handler] = split();
    try {
      let error: unknown;
      try {
        handler.network().connect(transport, '127.0.0.1:1');
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as Error).message).toBe('Broken could not start a connection to 127.0.0.1:1: no sockets left');
      expect((error as Error).cause).toBe(cause);
    } finally {
      handler.stop();
    }
  });
});
