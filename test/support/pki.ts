// Certificates made at test time with openssl, for the TLS tests: a certificate authority, a server
// certificate it signed (for localhost, 127.0.0.1 and ::1), a client certificate it signed, and a
// second authority with a client certificate of its own, that the first does not trust. EC P-256
// keys, valid for one day, in a temporary folder removed by `remove()`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { missingPeers, requirePeers } from './peers.js';

/** A certificate (PEM) and its private key (PEM). */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** What {@link makePki} made. */
export interface Pki {
  /** The authority that signed `server` and `client`. */
  readonly ca: string;
  /** The server's certificate, with subject alternative names localhost, 127.0.0.1 and ::1. */
  readonly server: KeyPair;
  /** A client certificate (CN=client-1) signed by `ca`. */
  readonly client: KeyPair;
  /** Another authority, trusted by no one here. */
  readonly otherCa: string;
  /** A client certificate (CN=stranger) signed by `otherCa`. */
  readonly stranger: KeyPair;
  /** Removes the folder of the files. */
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore', timeout: 15_000 });
}

function authority(dir: string, name: string, subject: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-days',
    '1',
    '-subj',
    `/CN=${subject}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  ]);
}

function signed(dir: string, name: string, subject: string, by: string, extensions: string): KeyPair {
  openssl(dir, ['req', ...EC, '-subj', `/CN=${subject}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${by}.pem`,
    '-CAkey',
    `${by}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ]);
  return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

/** Makes the certificates (a few hundred milliseconds). Needs `openssl` on the PATH. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'message-io-pki-'));
  authority(dir, 'ca', 'message-io test CA');
  authority(dir, 'other-ca', 'another CA');
  const server = signed(
    dir,
    'server',
    'localhost',
    'ca',
    'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n',
  );
  const client = signed(dir, 'client', 'client-1', 'ca', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const stranger = signed(dir, 'stranger', 'stranger', 'other-ca', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    otherCa: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
    server,
    client,
    stranger,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * For a test file: the certificates, made before its tests when openssl is there and removed
 * after them; each test fails when openssl is missing (skip the tests with `skipWithout('openssl')`
 * outside CI). The object is filled in before the first test.
 */
export function usePki(): Pki {
  const pki = {} as Pki;
  beforeAll(() => {
    if (missingPeers('openssl').length === 0) Object.assign(pki, makePki());
  });
  beforeEach(() => requirePeers('openssl'));
  afterAll(() => pki.remove?.());
  return pki;
}
