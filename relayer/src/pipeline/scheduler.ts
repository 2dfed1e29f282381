import { backoffDelay } from "./machine.js";

export type CreatePollingSchedulerParameters<Result> = {
  /** One cycle (the runner queues it behind any running one). */
  run(): Promise<Result>;
  /** Drains the runner once the timer is stopped. */
  drain(): Promise<void>;
  /** Run a cycle at least this often. */
  intervalMs: number;
  /** How often `due` is asked between intervals. */
  pollMs: number;
  /** Whether a cycle is due before the interval is up (enough work waiting). */
  due(): Promise<boolean>;
  /** Whether to look again at once after `result` instead of after the poll delay (a full batch: more may wait). */
  again?: (result: Result) => Promise<boolean>;
  onResult?: (result: Result) => void;
  /** A failed cycle (or poll): the next try comes after a doubling delay, at most the interval. */
  onError?: (error: unknown) => void;
};

export type PollingScheduler = {
  start(): void;
  /** Stops the timer, lets the running cycle finish its current step, and resolves when it has. */
  stop(): Promise<void>;
};

/**
 * Runs a cycle every `intervalMs`, or sooner once `due` says so. A failed cycle is only reported: every step is
 * recorded, so the next try resumes it — after `pollMs`, doubled for each failure in a row up to `intervalMs`, so an
 * outage is not hammered every poll while work piles up.
 */
export function createPollingScheduler<Result>({ run, drain, intervalMs, pollMs, due, again, onResult, onError = () => {} }: CreatePollingSchedulerParameters<Result>): PollingScheduler {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastRun = Date.now();
  let failures = 0;

  const tick = async () => {
    try {
      if (Date.now() - lastRun >= intervalMs || (await due())) {
        lastRun = Date.now();
        const result = await run();
        onResult?.(result);
        if (!stopped && again !== undefined && (await again(result))) lastRun = 0;
      }
      failures = 0;
    } catch (error) {
      failures += 1;
      onError(error);
    } finally {
      if (!stopped) timer = setTimeout(tick, lastRun === 0 ? 0 : backoffDelay({ failures, baseMs: pollMs, maxMs: Math.max(pollMs, intervalMs) }));
    }
  };

  return {
    start() {
      if (timer !== undefined || stopped) return;
      timer = setTimeout(tick, pollMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await drain();
    },
  };
}
