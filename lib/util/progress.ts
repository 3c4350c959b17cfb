/**
 * Progress for long operations: one line per step on stderr with its elapsed time, so a user
 * sees what is happening and where it failed. Silent with `--quiet`.
 */

/** Where progress lines go, and whether they are shown. */
export interface ProgressSink {
  write(line: string): void;
  quiet: boolean;
}

/** Runs named steps and reports each as it finishes (or fails). */
export class Progress {
  #sink: ProgressSink;
  #now: () => number;
  #started: number;

  constructor(sink: ProgressSink, now: () => number = () => performance.now()) {
    this.#sink = sink;
    this.#now = now;
    this.#started = now();
  }

  /** Runs `fn` as a step: prints `✓ label (1.2s)` when it succeeds, `✗ label (…)` when it throws. */
  async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const started = this.#now();
    try {
      const value = await fn();
      this.#line(`✓ ${label} (${this.#seconds(started)})`);
      return value;
    } catch (err) {
      this.#line(`✗ ${label} (${this.#seconds(started)})`);
      throw err;
    }
  }

  /** Prints an informational line under the current step. */
  note(text: string): void {
    this.#line(`  ${text}`);
  }

  /** Seconds since this progress began, formatted. */
  elapsed(): string {
    return this.#seconds(this.#started);
  }

  #seconds(since: number): string {
    return `${((this.#now() - since) / 1000).toFixed(1)}s`;
  }

  #line(text: string): void {
    if (!this.#sink.quiet) this.#sink.write(text);
  }
}
