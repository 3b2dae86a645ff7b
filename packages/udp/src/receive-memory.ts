import { hintAllocator } from '@message-io/node-net';

/** From a datagram of this size on, a socket receives in bulk: `dgram` gives each datagram a 64 KiB buffer. */
const BULK_DATAGRAM = 16 * 1024;
let hinted = false;

/**
 * Call with each received datagram's size. At the first large one, hints the allocator once per
 * process (node-net's `hintAllocator`, design note 0016): `dgram` allocates a new buffer for every
 * datagram, the user keeps it, and the garbage collector frees them in bulk; without the hint glibc
 * hands that freed memory back to the system at once and maps it again for the next datagrams, a
 * page fault for every 4 KiB received (measured: a receiver of 65,507-byte datagrams took 66,000 to
 * 70,000 a second with the hint, 22,000 to 27,000 without; plain `dgram` 22,000 to 30,000).
 */
export function noteReceived(size: number): void {
  if (hinted || size < BULK_DATAGRAM) return;
  hinted = true;
  hintAllocator();
}
