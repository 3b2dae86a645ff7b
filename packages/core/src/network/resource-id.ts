/** Whether a resource is a listener (`local`) or a connection (`remote`). */
export type ResourceKind = 'local' | 'remote';

/**
 * Names one listener or connection of a node. A node creates exactly one `ResourceId` object per
 * resource, so ids compare with `===` and work as `Map`/`Set` keys.
 */
export class ResourceId {
  /** Index of the adapter (transport) in the node that owns this resource, in order of first use. */
  readonly adapterId: number;
  /** `local` for a listener, `remote` for a connection. */
  readonly kind: ResourceKind;
  /** Number unique among the node's resources. */
  readonly id: number;

  /** Created by the node only. */
  constructor(adapterId: number, kind: ResourceKind, id: number) {
    this.adapterId = adapterId;
    this.kind = kind;
    this.id = id;
  }

  /** True for a listener. */
  get isLocal(): boolean {
    return this.kind === 'local';
  }

  /** True for a connection. */
  get isRemote(): boolean {
    return this.kind === 'remote';
  }

  /** Prints as message-io does: `[adapter.L.n]` for a listener, `[adapter.R.n]` for a connection. */
  toString(): string {
    return `[${this.adapterId}.${this.kind === 'local' ? 'L' : 'R'}.${this.id}]`;
  }
}
