import { RelayerError } from "../errors.js";
import { BatchStateError, BatcherStoppedError } from "./errors.js";
import { loadBatch, unfinishedBatchIds } from "./records.js";
import { confirmBatch, sealBatch, sendMilestones, storeBatch, submitBatch, type BatcherContext } from "./steps.js";

export type BatchStep = "seal" | "store" | "submit" | "confirm" | "milestones";

/**
 * Who may seal and commit. In one process the batcher's own queue is enough; several processes on one PostgreSQL
 * pass a lease here (an advisory lock that frees itself when its holder's session dies). Not acquired: the cycle
 * does nothing and reports `leased: false`.
 */
export type BatchLease = {
  acquire(): Promise<boolean>;
  release(): Promise<void>;
};

export type RunBatchCycleParameters = {
  ctx: BatcherContext;
  /** Checked between steps: a shutdown lets the current step finish, then stops. */
  shouldStop?: () => boolean;
  /** Times each step (seconds), for the step duration histogram. */
  observeStep?: (step: BatchStep, seconds: number) => void;
  /** Awaited after each step that succeeded on a batch; the server's test-only RELAYER_TEST_HALT_AFTER hangs here. */
  afterStep?: (step: BatchStep, batchId: bigint) => Promise<void>;
};

export type RunBatchCycleReturnType = {
  /** The batch this cycle sealed, if any. */
  sealed: bigint | undefined;
  /** Batches this cycle brought to committed, in order. */
  committed: bigint[];
  /** Milestone updates sent or confirmed. */
  milestones: number;
  /** Why milestone updates stopped this cycle (they resume, in order, next cycle); commits never wait on them. */
  milestoneError?: string;
  stopped: boolean;
};

/**
 * One batcher cycle: finishes every unfinished batch in id order (the chain accepts them only in order), then seals
 * at most one new batch from the pending plays and drives it to committed, then sends the milestone updates that
 * the commits recorded. Every step records its result, so a cycle that fails anywhere is simply run again.
 */
export async function runBatchCycle({ ctx, shouldStop = () => false, observeStep = () => {}, afterStep }: RunBatchCycleParameters): Promise<RunBatchCycleReturnType> {
  const timed = async <T>(step: BatchStep, run: () => Promise<T>, batchId?: bigint): Promise<T> => {
    const started = performance.now();
    let value: T;
    try {
      value = await run();
    } finally {
      observeStep(step, (performance.now() - started) / 1000);
    }
    // Seal names its batch by returning it (undefined: nothing was pending, so no batch to halt on).
    const batch = batchId ?? (typeof value === "bigint" ? value : undefined);
    if (afterStep !== undefined && batch !== undefined) await afterStep(step, batch);
    return value;
  };
  const result: RunBatchCycleReturnType = { sealed: undefined, committed: [], milestones: 0, stopped: false };
  const milestones = async () => {
    try {
      result.milestones += await timed("milestones", () => sendMilestones(ctx));
    } catch (error) {
      // A metrics update the chain refuses, or an RPC outage, must not hold plays back from being committed.
      if (!(error instanceof RelayerError)) throw error;
      result.milestoneError = error.message;
    }
  };
  // Milestones left over from a crash go first: they belong to older commits than anything this cycle makes.
  await milestones();
  for (const batchId of await unfinishedBatchIds(ctx.db)) {
    if (!(await advanceBatch({ ctx, batchId, shouldStop, timed }))) return { ...result, stopped: true };
    result.committed.push(batchId);
  }
  if (shouldStop()) return { ...result, stopped: true };
  result.sealed = await timed("seal", () => sealBatch(ctx));
  if (result.sealed !== undefined) {
    if (!(await advanceBatch({ ctx, batchId: result.sealed, shouldStop, timed }))) return { ...result, stopped: true };
    result.committed.push(result.sealed);
  }
  if (result.milestoneError === undefined) await milestones();
  return result;
}

type AdvanceBatchParameters = {
  ctx: BatcherContext;
  batchId: bigint;
  shouldStop: () => boolean;
  timed: <T>(step: BatchStep, run: () => Promise<T>, batchId?: bigint) => Promise<T>;
};

/** Moves one batch step by step from its recorded status to committed. False when a shutdown stopped it between steps. */
async function advanceBatch({ ctx, batchId, shouldStop, timed }: AdvanceBatchParameters): Promise<boolean> {
  for (;;) {
    const { status } = await loadBatch(ctx.db, batchId);
    if (status === "committed") return true;
    if (shouldStop()) return false;
    if (status === "sealed") await timed("store", () => storeBatch(ctx, batchId), batchId);
    else if (status === "stored") await timed("submit", () => submitBatch(ctx, batchId), batchId);
    else if (status === "submitted") await timed("confirm", () => confirmBatch(ctx, batchId), batchId);
    else throw new BatchStateError(`batch ${batchId} is ${status}; the batcher never leaves a batch open`);
  }
}

export type CreateBatcherParameters = Omit<RunBatchCycleParameters, "shouldStop"> & {
  lease?: BatchLease;
  /** Receives one line per failed cycle (the error is also stored as the stuck batch's `last_error`). */
  log?: (message: string) => void;
};

export type Batcher = {
  /** Runs one cycle after any cycle already running in this process (never two at once). */
  runCycle(): Promise<RunBatchCycleReturnType & { leased: boolean }>;
  /** Lets the running cycle finish its current step, then refuses new cycles. */
  stop(): Promise<void>;
};

/** The batcher of one process: cycles queue behind each other, and `stop` drains them. */
export function createBatcher({ ctx, observeStep, afterStep, lease, log = () => {} }: CreateBatcherParameters): Batcher {
  let queue: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const cycle = async () => {
    if (stopping) throw new BatcherStoppedError();
    if (lease !== undefined && !(await lease.acquire())) return { sealed: undefined, committed: [], milestones: 0, stopped: false, leased: false };
    try {
      const hooks = { ...(observeStep === undefined ? {} : { observeStep }), ...(afterStep === undefined ? {} : { afterStep }) };
      return { ...(await runBatchCycle({ ctx, shouldStop: () => stopping, ...hooks })), leased: true };
    } catch (error) {
      await recordFailure(ctx, error).catch(() => {});
      log(`batch cycle failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    } finally {
      await lease?.release();
    }
  };
  return {
    runCycle() {
      const run = queue.then(cycle, cycle);
      queue = run.catch(() => {});
      return run;
    },
    async stop() {
      stopping = true;
      await queue;
    },
  };
}

/** Notes the failure on the oldest unfinished batch, which is where the next cycle resumes; `GET /v1/batches/:id` shows it. */
async function recordFailure(ctx: BatcherContext, error: unknown): Promise<void> {
  const [batchId] = await unfinishedBatchIds(ctx.db);
  if (batchId === undefined) return;
  await ctx.db.query(`UPDATE batches SET last_error = $2 WHERE id = $1`, [batchId.toString(), error instanceof Error ? error.message.slice(0, 1000) : String(error)]);
}
