/** A first-in first-out queue with O(1) push and shift (a growable ring buffer). */
export class Fifo<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  private count = 0;

  /** Number of queued items. */
  get size(): number {
    return this.count;
  }

  /** Appends an item at the back. */
  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** Drops the items `drop` is true for, keeping the others in order; returns the dropped ones. */
  removeWhere(drop: (item: T) => boolean): T[] {
    const dropped: T[] = [];
    const kept: (T | undefined)[] = new Array(this.items.length);
    let count = 0;
    for (let i = 0; i < this.count; i++) {
      const item = this.items[(this.head + i) & (this.items.length - 1)] as T;
      if (drop(item)) dropped.push(item);
      else kept[count++] = item;
    }
    if (dropped.length === 0) return dropped;
    this.items = kept;
    this.head = 0;
    this.count = count;
    return dropped;
  }

  /** Drops every item. */
  clear(): void {
    this.items = new Array(16);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
