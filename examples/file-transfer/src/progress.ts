// Progress bars (cli-progress) on a terminal; plain lines elsewhere (a pipe, a log file, a test).
import { MultiBar, type SingleBar } from 'cli-progress';

const MiB = 1024 * 1024;

/** One transfer's bar. */
export interface Bar {
  /** Sets how many bytes are done. */
  update(done: number): void;
  /** Removes the bar. */
  stop(): void;
}

/** Formats bytes as MiB with one decimal. */
export const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

/** A set of progress bars with a rate and the time left, and a log that prints above them. */
export class Progress {
  private readonly bars: MultiBar | undefined;

  /** Draws bars only when stdout is a terminal. */
  constructor(tty: boolean = process.stdout.isTTY === true) {
    this.bars = tty
      ? new MultiBar({
          format: '{name} [{bar}] {percentage}% | {done}/{size} MiB | {rate} MiB/s | {eta_formatted} left',
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        })
      : undefined;
  }

  /** Adds a bar for a transfer of `size` bytes. */
  add(name: string, size: number): Bar {
    const started = performance.now();
    const payload = (done: number) => ({
      name,
      done: mib(done),
      size: mib(size),
      rate: mib(done / Math.max((performance.now() - started) / 1000, 0.001)),
    });
    const bar: SingleBar | undefined = this.bars?.create(Math.max(size, 1), 0, payload(0));
    return {
      update: (done) => bar?.update(done, payload(done)),
      stop: () => {
        if (bar !== undefined) this.bars?.remove(bar);
      },
    };
  }

  /** Prints a line above the bars. */
  log(line: string): void {
    if (this.bars === undefined) console.log(line);
    else this.bars.log(`${line}\n`);
  }

  /** Removes every bar and restores the cursor. */
  stop(): void {
    this.bars?.stop();
  }
}
