/**
 * One message on its way to many connections (a group send, `Group.send`): its bytes, which
 * nobody changes while anything holds the message, and the frames adapters build from them.
 *
 * Made by the core, once per group send, from a copy of the caller's bytes. An adapter that
 * implements `Remote.sendShared` may queue `data` (or a frame built from it) by reference, on as
 * many connections as it likes, without copying: the core never writes to it, and an adapter
 * must not either. `frame` builds what the transport puts on the wire once per message, for
 * every connection of that transport that the message reaches.
 */
export class SharedMessage {
  /** The message's bytes. Never changed: queue them by reference, do not write to them. */
  readonly data: Uint8Array;
  private firstKey: object | undefined = undefined;
  private firstFrame: unknown = undefined;
  private more: Map<object, unknown> | undefined = undefined;

  /** Made by the core (`data` is its own copy); adapters receive it. */
  constructor(data: Uint8Array) {
    this.data = data;
  }

  /**
   * What `build` makes of {@link data} for `key`, built on the first call for that key and kept
   * for the next ones. `key` names the kind of frame (an object of the adapter's own, the same on
   * every call); `build` must not change `data`, and the frame it returns is shared in turn:
   * queue it, do not change it.
   */
  frame<T>(key: object, build: (data: Uint8Array) => T): T {
    if (this.firstKey === key) return this.firstFrame as T;
    if (this.firstKey === undefined) {
      this.firstKey = key;
      this.firstFrame = build(this.data);
      return this.firstFrame as T;
    }
    this.more ??= new Map();
    if (this.more.has(key)) return this.more.get(key) as T;
    const built = build(this.data);
    this.more.set(key, built);
    return built;
  }
}
