/**
 * The certificate a peer proved it holds in a TLS handshake that verified it: the server's, seen
 * by a client that checked it against its authorities; a client's, seen by a listener that asked
 * for one (mutual TLS). A plain field-by-field copy, so that it is the same whatever the transport.
 */
export interface PeerCertificate {
  /** The subject's distinguished-name fields, such as `{ CN: 'client-1', O: 'Example' }` (a field given twice is an array). */
  readonly subject: Readonly<Record<string, string | readonly string[]>>;
  /** The issuer's distinguished-name fields, as `subject`. */
  readonly issuer: Readonly<Record<string, string | readonly string[]>>;
  /** SHA-256 fingerprint of the certificate, as colon-separated upper-case hex (`'AB:CD:…'`). */
  readonly fingerprint256: string;
  /** Serial number, in upper-case hex. */
  readonly serialNumber: string;
  /** Start of validity, as written in the certificate (`'Dec  3 18:00:00 2026 GMT'`). */
  readonly validFrom: string;
  /** End of validity, as `validFrom`. */
  readonly validTo: string;
  /** The certificate in DER. */
  readonly raw: Uint8Array;
}
