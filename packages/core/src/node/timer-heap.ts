/** One scheduled item: due time, insertion order (ties fire in the order they were scheduled), id. */
export interface TimerEntry<T> {
  readonly due: number;
  readonly seq: number;
  readonly id: number;
  readonly value: T;
}

function before(a: TimerEntry<unknown>, b: TimerEntry<unknown>): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * A binary min-heap of timers by due time, with cancellation by id. Scheduling and popping are
 * O(log n); cancelling is O(1) (the entry is skipped when it surfaces, and the heap is compacted
 * when cancelled entries outnumber live ones), so many pending timers stay cheap.
 */
export class TimerHeap<T> {
  private heap: TimerEntry<T>[] = [];
  private readonly live = new Set<number>();
  private seq = 0;

  /** Number of timers that will still fire. */
  get size(): number {
    return this.live.size;
  }

  /** Schedules `value` at `due`, under the caller's unique `id`. */
  schedule(id: number, due: number, value: T): void {
    this.live.add(id);
    this.heap.push({ due, seq: this.seq++, id, value });
    this.up(this.heap.length - 1);
  }

  /** Cancels a timer. Returns false when it already fired, was cancelled, or never existed. */
  cancel(id: number): boolean {
    if (!this.live.delete(id)) return false;
    if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) this.compact();
    return true;
  }

  /** Due time of the earliest live timer, or `undefined` when none is pending. */
  peekDue(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.due;
  }

  /** Removes and returns the earliest live timer if it is due at `now`. */
  popDue(now: number): TimerEntry<T> | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.due > now) return undefined;
    this.removeTop();
    this.live.delete(top.id);
    return top;
  }

  /** Cancels everything. */
  clear(): void {
    this.heap = [];
    this.live.clear();
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private compact(): void {
    this.heap = this.heap.filter((entry) => this.live.has(entry.id));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private up(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  private down(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    const half = heap.length >> 1;
    while (index < half) {
      let child = 2 * index + 1;
      if (child + 1 < heap.length && before(heap[child + 1]!, heap[child]!)) child++;
      if (!before(heap[child]!, entry)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = entry;
  }
}
