import type { PeerCertificate } from '@message-io/core/adapter';
import type { TLSSocket } from 'node:tls';

/** A distinguished name's fields, those present only (Node's object may hold a field set to `undefined`). */
function fields(name: Record<string, string | string[] | undefined> | undefined): Record<string, string | readonly string[]> {
  const kept: Record<string, string | readonly string[]> = {};
  for (const [key, value] of Object.entries(name ?? {})) if (value !== undefined) kept[key] = Array.isArray(value) ? [...value] : value;
  return kept;
}

/**
 * The certificate of `socket`'s peer, as core's `PeerCertificate`, when `socket` is a TLS socket
 * whose handshake verified it (`authorized`); `undefined` for a plain socket, a peer that sent none,
 * or one not verified (a client with `rejectUnauthorized: false`). For `Remote.peerCertificate`.
 */
export function peerCertificateOf(socket: unknown): PeerCertificate | undefined {
  const tls = socket as Partial<TLSSocket> | null | undefined;
  if (typeof tls?.getPeerCertificate !== 'function' || tls.authorized !== true) return undefined;
  const cert = tls.getPeerCertificate(false);
  if (cert === null || cert === undefined || cert.raw === undefined) return undefined;
  return {
    subject: fields(cert.subject),
    issuer: fields(cert.issuer),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    raw: new Uint8Array(cert.raw),
  };
}
