/**
 * Dead-peer detection: every `interval` ms, if no ping is outstanding, `ping` is called and a
 * deadline of `timeout` ms starts. Anything received from the peer (`alive`) clears the deadline;
 * if it passes, `dead` is called once and the heartbeat stops. Timers never keep the process alive.
 */
export class Heartbeat {
  private ticker: ReturnType<typeof setInterval> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly interval: number,
    private readonly timeout: number,
    private readonly ping: () => void,
    private readonly dead: () => void,
  ) {}

  /** Starts pinging. */
  start(): void {
    if (this.ticker !== undefined) return;
    this.ticker = setInterval(this.tick, this.interval);
    this.ticker.unref();
  }

  /** The peer sent something: it is alive. */
  alive(): void {
    if (this.deadline === undefined) return;
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  /** Stops every timer. */
  stop(): void {
    clearInterval(this.ticker);
    clearTimeout(this.deadline);
    this.ticker = undefined;
    this.deadline = undefined;
  }

  private readonly tick = (): void => {
    if (this.deadline !== undefined) return;
    this.deadline = setTimeout(this.expire, this.timeout);
    this.deadline.unref();
    this.ping();
  };

  private readonly expire = (): void => {
    this.stop();
    this.dead();
  };
}
