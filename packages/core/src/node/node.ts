import { Dispatcher, type CallbackResult } from './dispatcher.js';
import { EventQueue, type SignalSender } from './event-queue.js';
import type { NodeEvent } from './events.js';
import { InvalidOptionError } from '../adapter/errors.js';
import { NetworkController } from '../network/network.js';
import { GROUP_SLICE_MS } from '../network/group.js';
import { DEFAULT_MAX_STORED_BYTES, optionReader } from '../adapter/options.js';

const NODE_OPTIONS = ['maxStoredBytes', 'checkBorrowed', 'groupSliceMs'];

function checkNodeOptions(options: NodeOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('split options must be an object');
  for (const key of Object.keys(options)) {
    if (!NODE_OPTIONS.includes(key) && (options as Record<string, unknown>)[key] !== undefined) {
      throw new InvalidOptionError(`unknown option ${key} for split: it takes ${NODE_OPTIONS.join(', ')}`);
    }
  }
}

/** The environment variable that turns the check of lent bytes (`checkBorrowed`) on for every node: `MESSAGE_IO_CHECK_BORROWED=1`. */
export const CHECK_BORROWED_ENV = 'MESSAGE_IO_CHECK_BORROWED';

function resolveCheckBorrowed(options: NodeOptions | undefined): boolean {
  const value = optionReader.own(options, 'checkBorrowed');
  if (value !== undefined) {
    if (typeof value !== 'boolean') throw new InvalidOptionError(`option checkBorrowed must be a boolean, got ${typeof value}`);
    return value;
  }
  // No Node import: read the environment where there is one (Node), never elsewhere (a browser).
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const flag = env?.[CHECK_BORROWED_ENV];
  return flag !== undefined && flag !== '' && flag !== '0' && flag !== 'false';
}

function resolveGroupSliceMs(options: NodeOptions | undefined): number {
  const value = optionReader.own(options, 'groupSliceMs');
  if (value === undefined) return GROUP_SLICE_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(`option groupSliceMs must be a number of milliseconds >= 0, got ${String(value)}`);
  }
  return value;
}

function resolveMaxStoredBytes(options: NodeOptions | undefined): number {
  const value = optionReader.own(options, 'maxStoredBytes');
  if (value === undefined) return DEFAULT_MAX_STORED_BYTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(`option maxStoredBytes must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

/**
 * The handler side of a node: networking, signals, stop. Use it from anywhere, including inside
 * the listener's callback (nothing it does calls the callback re-entrantly).
 */
export class NodeHandler<S> {
  private readonly net: NetworkController;
  private readonly queue: EventQueue<S>;
  private runningFlag = true;

  /** Created by {@link split}. */
  constructor(
    net: NetworkController,
    queue: EventQueue<S>,
    private readonly onStop: () => void,
  ) {
    this.net = net;
    this.queue = queue;
  }

  /** Connect, listen, send, remove: the network of this node. */
  network(): NetworkController {
    return this.net;
  }

  /** Send signals of type `S` to this node's own listener, now, first, or later (timers). */
  signals(): SignalSender<S> {
    return this.queue;
  }

  /** True until `stop()`. */
  isRunning(): boolean {
    return this.runningFlag;
  }

  /**
   * Stops the node: closes every listener and connection (each flushes what it queued within its
   * `linger`), cancels every timer and signal, ends the listener (the `forEach` promise resolves,
   * an async iteration ends). No event is delivered after `stop()` returns. Calling it again does nothing.
   */
  stop(): void {
    if (!this.runningFlag) return;
    this.runningFlag = false;
    this.onStop();
  }
}

/**
 * The listener side of a node: the one consumer of its events. Use exactly one of `forEach` and
 * async iteration, once. Events that happen before are kept and delivered first, in order.
 */
export class NodeListener<S> implements AsyncIterable<NodeEvent<S>> {
  /** Created by {@link split}. */
  constructor(
    private readonly dispatcher: Dispatcher<S>,
    private readonly finished: Promise<void>,
    private readonly stop: () => void,
  ) {}

  /**
   * Calls `callback` for every event, one at a time, never re-entered. A message's `data` is the
   * user's: keep it, or read it after an `await` (unless the connection opted in to lending with
   * `reuseReceiveBuffer`: then it is `BorrowedBytes`, valid until the callback returns).
   *
   * The callback may be `async`: when it returns a promise, the next event waits until that
   * promise settles (events meanwhile are stored, bounded by `maxStoredBytes`, and reading pauses
   * past it, as for a slow `for await` loop). Returns a promise that resolves when the node
   * stops; if the callback throws or its promise rejects, the node stops and the returned promise
   * rejects with that error.
   * @throws ListenerInUseError when the listener already has a consumer.
   */
  forEach(callback: (event: NodeEvent<S>) => CallbackResult): Promise<void> {
    this.dispatcher.useCallback(callback);
    return this.finished;
  }

  /**
   * Iterates the events as stored values (their data is the user's; bytes lent by a reused receive
   * buffer are copied when stored). The iteration ends
   * when the node stops; leaving the loop early (`break`) stops the node.
   * @throws ListenerInUseError when the listener already has a consumer.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<NodeEvent<S>> {
    const next = this.dispatcher.useIterator();
    this.finished.catch(() => undefined);
    const stop = this.stop;
    const iterator: AsyncIterableIterator<NodeEvent<S>> = {
      next,
      return: () => {
        stop();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

/** Options of {@link split}. */
export interface NodeOptions {
  /**
   * Bytes the node may keep for a consumer that is not taking events (before `forEach` is
   * called, behind a slow async iteration, or while an async callback's promise is pending), each
   * event counted as its message bytes plus 256 (so that empty messages are not free: at most
   * `maxStoredBytes / 256` events). Past it the node stops reading from its connections (TCP flow
   * control slows the peers; datagrams are dropped) until half of it is consumed. Default 16 MiB.
   */
  maxStoredBytes?: number;
  /**
   * Development check of lent bytes: a message lent by a reused receive buffer
   * (`BorrowedBytes`, only with `reuseReceiveBuffer: true`) is handed to the callback as a copy
   * that is detached when the callback returns, so that keeping it, or reading it after an `await`,
   * reads zero bytes or throws `TypeError` (detached ArrayBuffer) instead of silently reading
   * bytes of a later message. It costs a copy per message: for tests, not production. Default:
   * on when the environment variable `MESSAGE_IO_CHECK_BORROWED` is set (not `0`), else off.
   */
  checkBorrowed?: boolean;
  /**
   * The longest, in milliseconds, that a group send (`Group.send`) holds the event loop in one
   * turn: past it, the members not reached yet get the message on the next turns, after the I/O
   * that is pending. Lower keeps timers and other connections more prompt during a send to many;
   * higher reaches everyone in fewer turns. 0 sends to 32 members per turn. Default 4.
   */
  groupSliceMs?: number;
}

/**
 * Creates a node and splits it into its handler (act) and its listener (receive).
 * `S` is the type of the signals you send to yourself.
 *
 * ```ts
 * const [handler, listener] = split<'tick'>();
 * ```
 */
export function split<S = never>(options?: NodeOptions): [NodeHandler<S>, NodeListener<S>] {
  checkNodeOptions(options);
  const maxStoredBytes = resolveMaxStoredBytes(options);
  const checkBorrowed = resolveCheckBorrowed(options);
  const groupSliceMs = resolveGroupSliceMs(options);
  const queue = new EventQueue<S>();
  let settle: (failure?: { error: unknown }) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (failure) => (failure === undefined ? resolve() : reject(failure.error));
  });
  // Boxed, so that a callback throwing `undefined` still rejects the forEach promise.
  let failure: { error: unknown } | undefined;
  const stop = (): void => handler.stop();
  const dispatcher = new Dispatcher<S>(
    queue,
    (error) => {
      failure = { error };
      stop();
    },
    maxStoredBytes,
    (throttled) => net.setThrottled(throttled),
    checkBorrowed,
  );
  const net = new NetworkController(
    (event) => dispatcher.emit(event),
    (id) => dispatcher.forget(id),
    () => dispatcher.storedLoad(),
    groupSliceMs,
  );
  const handler: NodeHandler<S> = new NodeHandler<S>(net, queue, () => {
    dispatcher.close();
    queue.close();
    net.stopAll();
    settle(failure);
  });
  return [handler, new NodeListener<S>(dispatcher, finished, stop)];
}
