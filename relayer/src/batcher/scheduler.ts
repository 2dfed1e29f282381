import type { Database } from "../repo/db/database.js";
import type { Batcher } from "./cycle.js";
import { countUnbatchedPlays } from "./records.js";

export type CreateBatchSchedulerParameters = {
  batcher: Batcher;
  db: Database;
  /** Run a cycle at least this often. */
  intervalMs: number;
  /** ...and as soon as this many plays wait for a batch. */
  batchMax: number;
  /** How often the pending count is looked at between intervals. */
  pollMs?: number;
  log?: (message: string) => void;
};

export type BatchScheduler = {
  start(): void;
  /** Stops the timer, lets the running cycle finish its current step, and resolves when it has. */
  stop(): Promise<void>;
};

/**
 * Runs the batcher every `intervalMs`, or sooner once `batchMax` plays are pending. Cycles never overlap (the
 * batcher queues them), and a failed cycle is only logged: every step is recorded, so the next tick resumes it.
 */
export function createBatchScheduler({ batcher, db, intervalMs, batchMax, pollMs = Math.min(1_000, intervalMs), log = () => {} }: CreateBatchSchedulerParameters): BatchScheduler {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastRun = Date.now();

  const tick = async () => {
    try {
      const due = Date.now() - lastRun >= intervalMs || (await countUnbatchedPlays(db)) >= batchMax;
      if (due) {
        lastRun = Date.now();
        const result = await batcher.runCycle();
        if (result.committed.length > 0) log(`batches committed: ${result.committed.join(", ")}`);
        // A full batch sealed: more may be waiting, so look again at once rather than after the poll delay.
        if (result.sealed !== undefined && !stopped && (await countUnbatchedPlays(db)) >= batchMax) lastRun = 0;
      }
    } catch (error) {
      log(`batch cycle failed, retried next tick: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (!stopped) timer = setTimeout(tick, lastRun === 0 ? 0 : pollMs);
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
      await batcher.stop();
    },
  };
}
