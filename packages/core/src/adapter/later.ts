// setImmediate (Node) lets pending I/O run between turns. Browsers have none: a MessageChannel
// message is their next macrotask, without the 4 ms clamp of nested setTimeout(fn, 0) calls.
const nodeSetImmediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;

let channel: MessageChannel | undefined;
/** The functions posted and not run yet, in order (browsers only). */
const posted: (() => void)[] = [];

function postMacrotask(fn: () => void): void {
  if (typeof MessageChannel !== 'function') return void setTimeout(fn, 0);
  if (channel === undefined) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => posted.shift()?.();
  }
  posted.push(fn);
  channel.port2.postMessage(undefined);
}

/** Calls `fn` on a later turn of the event loop, after the I/O that is pending now (Node: `setImmediate`). */
export const later: (fn: () => void) => void = typeof nodeSetImmediate === 'function' ? (fn) => void nodeSetImmediate(fn) : postMacrotask;
