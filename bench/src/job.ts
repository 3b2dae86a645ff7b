// What a benchmark peer is asked to do, and how it reports.

/**
 * Who does a job: message-io (by default: received messages are the user's), message-io with
 * borrowing opted in on the receiving side (`reuseReceiveBuffer: true`: messages lent from a reused
 * buffer; not on Udp), Node's own modules the plain way (`native`) or as an expert writes them
 * (`expert`: the writes of a turn corked together, a frame reader linear in the bytes; not on Udp,
 * where both are the same), or a third-party library doing the same job.
 */
export type Impl = 'ours' | 'borrowed' | 'native' | 'expert' | 'socket.io' | 'zeromq';

/** One measurement: a metric on a transport, with a message size and count. */
export interface Job {
  /** `throughput` and `rate` count bytes at the receiver; `latency` times round trips at the sender. */
  readonly metric: 'throughput' | 'rate' | 'latency';
  readonly transport: 'tcp' | 'framed-tcp' | 'udp' | 'ws';
  readonly size: number;
  readonly count: number;
  /** Bytes the receiver waits for before it reports (size × count, less what Udp may lose). */
  readonly totalBytes: number;
  /**
   * Throughput only: the sender listens and the receiver connects, so the data goes to the
   * connecting side (a download). By default the receiver listens (an upload to a server).
   */
  readonly toClient?: boolean;
  /**
   * Udp throughput only: the sender offers this many bytes a second, spread over the event-loop
   * turns, instead of as fast as it can; ours and native then lose at the same offered load.
   */
  readonly paced?: number;
}

/** What a peer reports: receiver figures, or the sender's round-trip times. */
export interface Result {
  readonly bytes?: number;
  readonly messages?: number;
  readonly ms?: number;
  readonly rtts?: number[];
}

/** Starts a receiver; resolves with the address it listens on. Calls `report` once when done. */
export type Receiver = (job: Job, report: (result: Result) => void) => Promise<string>;

/** Starts a sender towards `addr`; resolves with a function that stops it. */
export type Sender = (job: Job, addr: string, report: (result: Result) => void) => Promise<() => void>;

/** A `toClient` job's sender: listens, sends the job to the first connection; resolves with the address. */
export type ListeningSender = (job: Job) => Promise<string>;

/** A `toClient` job's receiver: connects to `addr` and counts bytes. Calls `report` once when done. */
export type ConnectingReceiver = (job: Job, addr: string, report: (result: Result) => void) => Promise<void>;

/**
 * A Udp receiver of a bulk or rate job reports once no datagram came for this long (the rest were
 * lost). Its figures run from the first to the last datagram, so the wait does not count.
 */
export const UDP_IDLE_MS = 500;

/** How many of the job's messages are due `elapsedMs` after the first: all of them unless the job is paced. */
export function dueBy(job: Job, elapsedMs: number): number {
  if (job.paced === undefined) return job.count;
  return Math.min(job.count, Math.floor(((elapsedMs / 1000) * job.paced) / job.size) + 1);
}
