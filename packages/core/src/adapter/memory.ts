/**
 * Memory for bytes about to be written in full: a Node Buffer that is not zero-filled first (and
 * never a slice of Node's shared pool, so it may be kept or reused on its own) where Node's Buffer
 * is there, else a plain Uint8Array. No Node import: core stays usable in a browser.
 */
export const unfilled: (size: number) => Uint8Array = (() => {
  const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;
  return NodeBuffer !== undefined ? (size) => NodeBuffer.allocUnsafeSlow(size) : (size) => new Uint8Array(size);
})();
