import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { InvalidOptionError, optionReader, refuseUnknownOptions } from '@message-io/core/adapter';

/** PEM text or bytes: a certificate chain, a private key or a certificate authority. */
export type Pem = string | Uint8Array;

/** The TLS versions a side may be held to at least. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/**
 * TLS on an outgoing Tcp or FramedTcp connection (`tls: { ... }`, or `tls: true` for Node's
 * defaults: the server's certificate must chain to Node's bundled authorities and match the host).
 */
export interface TcpTlsConnectOptions {
  /** Certificate authorities to trust instead of Node's bundled ones (PEM). */
  ca?: Pem | Pem[];
  /** The client's certificate chain (PEM), for a server that asks for one (`requestCert`). With `key`. */
  cert?: Pem;
  /** The client's private key (PEM), with `cert`. */
  key?: Pem;
  /** Passphrase of `key`, if it is encrypted. */
  passphrase?: string;
  /** The server name sent (SNI) and the name the certificate must match. Default: the host connected to, when it is a name. */
  servername?: string;
  /** Refuse a server whose certificate does not verify. Default `true`; `false` only for tests. */
  rejectUnauthorized?: boolean;
  /** The oldest TLS version accepted. Default `'TLSv1.2'`. */
  minVersion?: TlsVersion;
}

/** TLS on a Tcp or FramedTcp listener (`tls: { cert, key, ... }`). */
export interface TcpTlsListenOptions {
  /** The server's certificate chain (PEM). Required. */
  cert: Pem;
  /** The server's private key (PEM). Required. */
  key: Pem;
  /** Passphrase of `key`, if it is encrypted. */
  passphrase?: string;
  /** Certificate authorities that client certificates must chain to (PEM), with `requestCert`. */
  ca?: Pem | Pem[];
  /**
   * Mutual TLS: ask every client for a certificate and refuse, during the handshake, one that sends
   * none or one that does not chain to `ca`. Default `false`.
   */
  requestCert?: boolean;
  /** The oldest TLS version accepted. Default `'TLSv1.2'`. */
  minVersion?: TlsVersion;
  /**
   * Milliseconds a client may take from its TCP connection to a finished TLS handshake; past it
   * the socket is destroyed (and never seen as `accepted`). Default 10,000.
   */
  handshakeTimeout?: number;
}

/** Default of {@link TcpTlsListenOptions.handshakeTimeout}. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT = 10_000;

const connectKeys: Readonly<Record<keyof TcpTlsConnectOptions, true>> = {
  ca: true,
  cert: true,
  key: true,
  passphrase: true,
  servername: true,
  rejectUnauthorized: true,
  minVersion: true,
};

const listenKeys: Readonly<Record<keyof TcpTlsListenOptions, true>> = {
  cert: true,
  key: true,
  passphrase: true,
  ca: true,
  requestCert: true,
  minVersion: true,
  handshakeTimeout: true,
};

function isPem(value: unknown): value is Pem {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function pem(tls: object, key: string): Pem | undefined {
  const value = optionReader.own(tls, key);
  if (value === undefined || isPem(value)) return value;
  throw new InvalidOptionError(`option tls.${key} must be a string or a Uint8Array (PEM), got ${typeof value}`);
}

function pems(tls: object): Pem | Pem[] | undefined {
  const value = optionReader.own(tls, 'ca');
  if (value === undefined || isPem(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every(isPem)) return value;
  throw new InvalidOptionError('option tls.ca must be PEM (a string or a Uint8Array) or a non-empty array of them');
}

function text(tls: object, key: string): string | undefined {
  const value = optionReader.own(tls, key);
  if (value === undefined || typeof value === 'string') return value;
  throw new InvalidOptionError(`option tls.${key} must be a string, got ${typeof value}`);
}

function minVersion(tls: object): TlsVersion {
  const value = optionReader.own(tls, 'minVersion');
  if (value === undefined) return 'TLSv1.2';
  if (value === 'TLSv1.2' || value === 'TLSv1.3') return value;
  throw new InvalidOptionError(`option tls.minVersion must be 'TLSv1.2' or 'TLSv1.3', got ${String(value)}`);
}

function table(options: object | undefined): object | true | undefined {
  const value = optionReader.own(options, 'tls');
  if (value === undefined || value === false) return undefined;
  if (value === true || (typeof value === 'object' && value !== null && !Array.isArray(value))) return value;
  throw new InvalidOptionError(`option tls must be an object of TLS settings (or true on connect), got ${typeof value}`);
}

/**
 * Reads the `tls` option of `connect`: Node's `tls.connect` options for it, or `undefined` for a
 * plain connection. @throws InvalidOptionError
 */
export function resolveTlsConnect(options: object | undefined): ConnectionOptions | undefined {
  const tls = table(options);
  if (tls === undefined) return undefined;
  if (tls === true) return { minVersion: 'TLSv1.2' };
  refuseUnknownOptions(tls, connectKeys, 'tls of connect');
  const cert = pem(tls, 'cert');
  const key = pem(tls, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new InvalidOptionError('options tls.cert and tls.key go together (a client certificate needs both)');
  const servername = text(tls, 'servername');
  const passphrase = text(tls, 'passphrase');
  const ca = pems(tls);
  return {
    rejectUnauthorized: optionReader.boolean(tls, 'rejectUnauthorized', true),
    minVersion: minVersion(tls),
    ...(ca !== undefined && { ca: ca as ConnectionOptions['ca'] }),
    ...(cert !== undefined && { cert: cert as ConnectionOptions['cert'], key: key as ConnectionOptions['key'] }),
    ...(passphrase !== undefined && { passphrase }),
    ...(servername !== undefined && { servername }),
  };
}

/**
 * Reads the `tls` option of `listen`: Node's `tls.createServer` options for it, or `undefined` for
 * a plain listener. @throws InvalidOptionError
 */
export function resolveTlsListen(options: object | undefined): TlsOptions | undefined {
  const tls = table(options);
  if (tls === undefined) return undefined;
  if (tls === true) throw new InvalidOptionError('option tls of listen needs at least cert and key');
  refuseUnknownOptions(tls, listenKeys, 'tls of listen');
  const cert = pem(tls, 'cert');
  const key = pem(tls, 'key');
  if (cert === undefined || key === undefined) throw new InvalidOptionError('options tls.cert and tls.key are required on a TLS listener');
  const requestCert = optionReader.boolean(tls, 'requestCert', false);
  const ca = pems(tls);
  const passphrase = text(tls, 'passphrase');
  return {
    cert: cert as TlsOptions['cert'],
    key: key as TlsOptions['key'],
    requestCert,
    rejectUnauthorized: requestCert,
    minVersion: minVersion(tls),
    handshakeTimeout: optionReader.integer(tls, 'handshakeTimeout', DEFAULT_TLS_HANDSHAKE_TIMEOUT, 1, 2 ** 31 - 1),
    ...(ca !== undefined && { ca: ca as TlsOptions['ca'] }),
    ...(passphrase !== undefined && { passphrase }),
  };
}
