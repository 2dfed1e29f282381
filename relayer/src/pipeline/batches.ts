import type { Address } from "viem";
import { ChainRevertError } from "../chain/errors.js";
import type { RevenueReader } from "../chain/revenue.js";
import type { ChainWriter, MinedReceipt, Resend, SentTransaction } from "../chain/writer.js";
import { lowerHex } from "../crypto/hex.js";
import { buildPlaysTree, rootOf } from "../crypto/merkle.js";
import { RelayerError } from "../errors.js";
import { computeDeltas, packDeltas } from "../evidence/deltas.js";
import { computeEngagementDeltas } from "../evidence/engagement.js";
import { buildSnapshot, encodeSnapshot } from "../evidence/snapshot.js";
import type { LogLine } from "../log.js";
import type { Database } from "../repo/db/database.js";
import {
  batchEngagement,
  batchPlays,
  countUnbatchedPlays,
  insertSealedBatch,
  lastBatch,
  loadBatch,
  markCommitted,
  markStored,
  pendingEngagement,
  pendingPlays,
  recordBatchError,
  recordBatchTransaction,
  unfinishedBatchIds,
  type BatchRecord,
  type BatchStatus,
  type CommitEffects,
} from "../repo/batches.js";
import { confirmMilestone, pendingMilestones, readCreatorTotals, recordMilestoneTransaction, revenueScannedThrough } from "../repo/milestones.js";
import type { SnapshotStore } from "../stores/snapshot-store.js";
import { BatchStateError } from "../repo/errors.js";
import { BatchConflictError, BatcherStoppedError, SnapshotStoreError } from "./errors.js";
import { commitTotals } from "./milestones.js";
import { createCycleRunner, runPipeline, timeStep, type PipelineLease, type StepHooks, type StepList } from "./machine.js";
import { createPollingScheduler, type PollingScheduler } from "./scheduler.js";
import { driveTransaction } from "./transactions.js";

/** Everything a batch step needs. One context per process; a restarted process builds a new one over the same database. */
export type BatcherContext = {
  db: Database;
  /** Signs `commitPlays` (its account holds MusicNFT's RELAYER_ROLE) and reads the chain. */
  writer: ChainWriter;
  /** Signs `updateCreatorMetrics` (its account holds the factory's RELAYER_ROLE); absent, `writer` does. */
  reporter?: ChainWriter;
  store: SnapshotStore;
  chainId: number;
  musicNFT: Address;
  /** Most plays in one batch. */
  batchMax: number;
  /** A creator whose committed plays cross a multiple of this gets `updateCreatorMetrics`. */
  milestonePlays: bigint;
  /** ...or whose committed followers cross a multiple of this (default 1000)... */
  milestoneFollowers?: bigint;
  /** ...or whose revenue, USDC units (6 decimals), crosses a multiple of this (default 1,000 USDC). */
  milestoneRevenue?: bigint;
  /** Reads revenue events between commits; absent, revenue stays 0 (a deployment without vault or coins). */
  revenue?: RevenueReader;
  /** Storage failures, for the metric. */
  onStorageError?: () => void;
  /** trackId → creator; a track's creator is fixed at mint, so entries never go stale. */
  creatorCache?: Map<bigint, Address>;
};

export type BatchStep = "seal" | "store" | "submit" | "confirm" | "milestones";

/** Who may seal and commit (see `createBatchLease`); not acquired, a cycle does nothing and reports `leased: false`. */
export type BatchLease = PipelineLease;

/** The play batch pipeline as the step machine runs it: sealed → stored → submitted → committed. */
function batchSteps(ctx: BatcherContext): StepList<BatchStatus, BatchStep> {
  return {
    next: { sealed: "store", stored: "submit", submitted: "confirm" },
    final: ["committed"],
    status: async (batchId) => (await loadBatch(ctx.db, batchId)).status,
    async run(step, batchId) {
      if (step === "store") await storeBatch(ctx, batchId);
      else if (step === "submit") await submitBatch(ctx, batchId);
      else if (step === "confirm") await confirmBatch(ctx, batchId);
      else throw new BatchStateError(`batch ${batchId}: ${step} is not a step of a sealed batch`);
    },
    stuck: (batchId, status) => new BatchStateError(`batch ${batchId} is ${status}; the batcher never leaves a batch open`),
  };
}

export const DEFAULT_MILESTONE_FOLLOWERS = 1_000n;
export const DEFAULT_MILESTONE_REVENUE = 1_000_000_000n;

/**
 * Seal: takes up to `batchMax` unbatched plays, oldest first, into batch `last id + 1` (on an empty database, the
 * chain's `nextBatchId`), with its root, packed deltas, per-track and per-creator totals, the previous batch's CID,
 * and each play's leaf index, and up to `batchMax` effective engagement events no batch holds yet, oldest first,
 * with the follower deltas they make — all in one transaction, so a crash leaves them either pending or sealed.
 * Returns the new batch id, or undefined when no play is pending: MusicNFT refuses an empty commit, so engagement
 * events of a period without plays wait, unbatched and still counted off-chain, for the next batch with plays.
 */
export async function sealBatch(ctx: BatcherContext): Promise<bigint | undefined> {
  const plays = await pendingPlays(ctx.db, ctx.batchMax);
  if (plays.length === 0) return undefined;
  const previous = await lastBatch(ctx.db);
  // The snapshot chain links each batch to the one before; that link must exist before the next batch is sealed.
  if (previous !== undefined && previous.cid === null) throw new BatchStateError(`batch ${previous.id} is not stored yet; seal the next one after it`);
  const batchId = previous === undefined ? await ctx.writer.nextBatchId() : previous.id + 1n;

  // Chain reads happen before the transaction: a database transaction must never wait on the chain.
  const creatorOf = await creatorsOf(ctx, [...new Set(plays.map((play) => play.trackId))]);
  const tree = buildPlaysTree(plays);
  const { tracks, creators } = computeDeltas({ plays, creatorOf });
  const leafIndex = new Map([...tree.entries()].map(([index, value]) => [`${lowerHex(value[0])}:${lowerHex(value[4])}`, index]));
  const engagement = await pendingEngagement(ctx.db, ctx.batchMax);
  await insertSealedBatch(ctx.db, {
    id: batchId,
    playCount: plays.length,
    trackCount: tracks.length,
    root: rootOf(tree),
    deltas: packDeltas(tracks),
    previousCid: previous?.cid ?? null,
    tracks,
    creators,
    playIds: plays.map((play) => play.id),
    leafIndexes: plays.map((play) => leafIndex.get(`${lowerHex(play.listener)}:${lowerHex(play.nonce)}`) ?? -1),
    engagementIds: engagement.map((event) => event.id),
    followerDeltas: computeEngagementDeltas(engagement).artists,
  });
  return batchId;
}

/**
 * Store: rebuilds the canonical snapshot from the batch's plays, checks it has the sealed root, and puts it in the
 * snapshot store (idempotent: same bytes, same CID). A store failure leaves the batch sealed for the next cycle.
 */
export async function storeBatch(ctx: BatcherContext, batchId: bigint): Promise<void> {
  const batch = await expectStatus(ctx, batchId, "sealed");
  const plays = await batchPlays(ctx.db, batchId);
  const snapshot = buildSnapshot({
    chainId: BigInt(ctx.chainId),
    musicNFT: ctx.musicNFT,
    batchId,
    previousCid: batch.previousCid,
    plays,
    creatorOf: new Map(batch.tracks.map((track) => [track.trackId, track.creator])),
    engagement: await batchEngagement(ctx.db, batchId),
  });
  if (snapshot.root !== batch.root) throw new BatchStateError(`batch ${batchId}: its plays now give root ${snapshot.root}, sealed ${batch.root}`);
  let stored;
  try {
    stored = await ctx.store.put(encodeSnapshot(snapshot));
  } catch (error) {
    ctx.onStorageError?.();
    throw new SnapshotStoreError(batchId, error);
  }
  await markStored(ctx.db, batchId, stored);
}

/**
 * Submit: sends `commitPlays` and records the hash and nonce before anything waits on it. A batch the chain
 * already holds (under the same root) is marked committed instead of being sent again.
 */
export async function submitBatch(ctx: BatcherContext, batchId: bigint): Promise<void> {
  const batch = await expectStatus(ctx, batchId, "stored");
  if (await recogniseCommitted(ctx, batch)) return;
  let sent: SentTransaction;
  try {
    sent = await sendCommit(ctx, batch);
  } catch (error) {
    // Committed between the check and the simulation (another sender, or our own earlier send that was never recorded).
    if (error instanceof ChainRevertError && error.errorName === "MusicNFTBatchAlreadyCommitted" && (await recogniseCommitted(ctx, batch))) return;
    throw error;
  }
  await recordBatchTransaction(ctx.db, batchId, "stored", sent);
}

/**
 * Confirm: drives the recorded transaction to its receipt and marks the batch committed with its block. A
 * transaction no node knows any more is resent with its own nonce (or a fresh one if that nonce was spent).
 */
export async function confirmBatch(ctx: BatcherContext, batchId: bigint): Promise<void> {
  const batch = await expectStatus(ctx, batchId, "submitted");
  if (batch.txHash === null || batch.txNonce === null) throw new BatchStateError(`batch ${batchId} is submitted without a transaction`);
  const receipt = await driveTransaction(ctx.writer, { hash: batch.txHash, nonce: batch.txNonce }, {
    done: () => recogniseCommitted(ctx, batch),
    resend: (resend) => sendCommit(ctx, batch, resend),
    record: (sent) => recordBatchTransaction(ctx.db, batchId, "submitted", sent),
    onTimeout: "outbid",
    exhausted: (hash, rounds) => new BatchStateError(`transaction ${hash} still not successful after ${rounds} sends`),
  });
  if (receipt !== undefined) await commit(ctx, batch, receipt);
}

/**
 * Milestones: sends `updateCreatorMetrics` for every recorded milestone not yet confirmed, oldest batch first (the
 * factory keeps the last report, so a newer one must never be overtaken by an older one). The hash and nonce are
 * recorded before waiting, so a restart waits for or replaces the same transaction rather than sending another.
 */
export async function sendMilestones(ctx: BatcherContext): Promise<number> {
  const reporter = ctx.reporter ?? ctx.writer;
  const milestones = await pendingMilestones(ctx.db);
  for (const milestone of milestones) {
    const args = { creator: milestone.creator, plays: milestone.plays, followers: milestone.followers, revenue: milestone.revenue, cid: milestone.cid };
    const record = (sent: SentTransaction) => recordMilestoneTransaction(ctx.db, milestone, sent);
    let sent = milestone.sent;
    if (sent === undefined) {
      sent = await reporter.updateCreatorMetrics(args);
      await record(sent);
    }
    const receipt = await driveTransaction(reporter, sent, {
      resend: (resend) => reporter.updateCreatorMetrics({ ...args, ...resend }),
      record,
      onTimeout: "outbid",
      exhausted: (hash, rounds) => new BatchStateError(`transaction ${hash} still not successful after ${rounds} sends`),
    });
    await confirmMilestone(ctx.db, milestone, receipt?.hash ?? sent.hash, receipt?.blockNumber);
  }
  return milestones.length;
}

function sendCommit(ctx: BatcherContext, batch: BatchRecord, resend: Resend = {}): Promise<SentTransaction> {
  if (batch.cid === null) throw new BatchStateError(`batch ${batch.id} has no CID`);
  return ctx.writer.commitPlays({ batchId: batch.id, root: batch.root, cid: batch.cid, deltas: batch.deltas, ...resend });
}

/**
 * Whether the chain already holds this batch. Same root: it is marked committed with the transaction and block of
 * its PlaysCommitted log. Another root: `BatchConflictError`, loudly — the chain's history is never overwritten.
 */
async function recogniseCommitted(ctx: BatcherContext, batch: BatchRecord): Promise<boolean> {
  if ((await ctx.writer.nextBatchId()) <= batch.id) return false;
  const chainRoot = lowerHex(await ctx.writer.batchRoot(batch.id));
  if (chainRoot !== batch.root) throw new BatchConflictError(batch.id, batch.root, chainRoot);
  const found = await ctx.writer.findCommit(batch.id);
  if (found === undefined) throw new BatchStateError(`batch ${batch.id} has a root on chain but no PlaysCommitted log`);
  await commit(ctx, batch, found);
  return true;
}

/** Marks the batch committed with the creator totals it makes and the milestones it crossed (chain reads first: never inside a transaction). */
async function commit(ctx: BatcherContext, batch: BatchRecord, receipt: Pick<MinedReceipt, "hash" | "blockNumber">): Promise<void> {
  await markCommitted(ctx.db, batch.id, receipt, await commitEffects(ctx, batch, receipt.blockNumber));
}

const READ_CONCURRENCY = 16;

/**
 * The commit's effect on creators: follower deltas from the batch's engagement, revenue from the vault's and the
 * coins' events since the previous commit's block (through this commit's block, so every block is counted once),
 * committed plays read at the commit's block (so later commits do not blur it), then `commitTotals`.
 */
async function commitEffects(ctx: BatcherContext, batch: BatchRecord, blockNumber: bigint): Promise<CommitEffects> {
  const scanned = await revenueScannedThrough(ctx.db);
  const fromBlock = scanned === undefined ? (ctx.revenue?.startBlock ?? 0n) : scanned + 1n;
  const revenueDeltas = ctx.revenue === undefined ? new Map<Address, bigint>() : await ctx.revenue.revenueBetween(fromBlock, blockNumber);
  const batchPlays = new Map(batch.creators.map(({ creator, plays }) => [lowerHex(creator), plays]));
  const creators = [...new Set([...batchPlays.keys(), ...batch.followerDeltas.map(({ artist }) => lowerHex(artist)), ...revenueDeltas.keys()])];
  const playsAfter = new Map<Address, bigint>();
  for (let start = 0; start < creators.length; start += READ_CONCURRENCY) {
    const chunk = creators.slice(start, start + READ_CONCURRENCY);
    const totals = await Promise.all(chunk.map((creator) => ctx.writer.creatorPlays(creator, blockNumber)));
    chunk.forEach((creator, index) => playsAfter.set(creator, totals[index] ?? 0n));
  }
  const { totals, milestones } = commitTotals({
    batchPlays,
    playsAfter,
    followerDeltas: batch.followerDeltas,
    revenueDeltas,
    before: await readCreatorTotals(ctx.db, creators),
    thresholds: {
      plays: ctx.milestonePlays,
      followers: ctx.milestoneFollowers ?? DEFAULT_MILESTONE_FOLLOWERS,
      revenue: ctx.milestoneRevenue ?? DEFAULT_MILESTONE_REVENUE,
    },
  });
  return { totals, milestones, revenueBlock: blockNumber > (scanned ?? -1n) ? blockNumber : (scanned ?? blockNumber) };
}

async function creatorsOf(ctx: BatcherContext, trackIds: bigint[]): Promise<Map<bigint, Address>> {
  const cache = (ctx.creatorCache ??= new Map());
  const missing = trackIds.filter((trackId) => !cache.has(trackId));
  for (let start = 0; start < missing.length; start += READ_CONCURRENCY) {
    const chunk = missing.slice(start, start + READ_CONCURRENCY);
    const creators = await Promise.all(chunk.map((trackId) => ctx.writer.creatorOf(trackId)));
    chunk.forEach((trackId, index) => {
      const creator = creators[index];
      if (creator !== undefined) cache.set(trackId, creator);
    });
  }
  return new Map(trackIds.flatMap((trackId) => {
    const creator = cache.get(trackId);
    return creator === undefined ? [] : [[trackId, creator] as const];
  }));
}

async function expectStatus(ctx: BatcherContext, batchId: bigint, status: BatchRecord["status"]): Promise<BatchRecord> {
  const batch = await loadBatch(ctx.db, batchId);
  if (batch.status !== status) throw new BatchStateError(`batch ${batchId} is ${batch.status}, not ${status}`);
  return batch;
}

export type RunBatchCycleParameters = StepHooks<BatchStep> & { ctx: BatcherContext };

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
export async function runBatchCycle({ ctx, ...hooks }: RunBatchCycleParameters): Promise<RunBatchCycleReturnType> {
  const result: RunBatchCycleReturnType = { sealed: undefined, committed: [], milestones: 0, stopped: false };
  const milestones = async () => {
    try {
      result.milestones += await timeStep(hooks, "milestones", () => sendMilestones(ctx));
    } catch (error) {
      // A metrics update the chain refuses, or an RPC outage, must not hold plays back from being committed.
      if (!(error instanceof RelayerError)) throw error;
      result.milestoneError = error.message;
    }
  };
  // Milestones left over from a crash go first: they belong to older commits than anything this cycle makes.
  await milestones();
  const run = await runPipeline({
    list: batchSteps(ctx),
    unfinished: () => unfinishedBatchIds(ctx.db),
    seal: { step: "seal", run: () => sealBatch(ctx) },
    ...hooks,
  });
  result.sealed = run.sealed[0];
  result.committed = run.finished.map(({ id }) => id);
  if (run.stopped) return { ...result, stopped: true };
  if (result.milestoneError === undefined) await milestones();
  return result;
}

export type CreateBatcherParameters = Omit<RunBatchCycleParameters, "shouldStop"> & {
  lease?: BatchLease;
  /** Receives one line per failed cycle (the error is also stored as the stuck batch's `last_error`). */
  log?: LogLine;
};

export type Batcher = {
  /** Runs one cycle after any cycle already running in this process (never two at once). */
  runCycle(): Promise<RunBatchCycleReturnType & { leased: boolean }>;
  /** Lets the running cycle finish its current step, then refuses new cycles. */
  stop(): Promise<void>;
};

/** The batcher of one process: cycles queue behind each other, and `stop` drains them. */
export function createBatcher({ ctx, observeStep, afterStep, lease, log = () => {} }: CreateBatcherParameters): Batcher {
  const runner = createCycleRunner<void, RunBatchCycleReturnType>({
    cycle: (_input, shouldStop) =>
      runBatchCycle({ ctx, shouldStop, ...(observeStep === undefined ? {} : { observeStep }), ...(afterStep === undefined ? {} : { afterStep }) }),
    lease,
    stopped: () => {
      throw new BatcherStoppedError();
    },
    notLeased: () => ({ sealed: undefined, committed: [], milestones: 0, stopped: false }),
    onFailure: async (error) => {
      const batchId = await recordFailure(ctx, error).catch(() => undefined);
      log(`batch cycle failed: ${error instanceof Error ? error.message : String(error)}`, { level: "warn", err: error, ...(batchId === undefined ? {} : { batchId: batchId.toString() }) });
    },
  });
  return { runCycle: () => runner.run(), stop: () => runner.stop() };
}

/** Notes the failure on the oldest unfinished batch, which is where the next cycle resumes; `GET /v1/batches/:id` shows it. */
async function recordFailure(ctx: BatcherContext, error: unknown): Promise<bigint | undefined> {
  const [batchId] = await unfinishedBatchIds(ctx.db);
  if (batchId === undefined) return undefined;
  await recordBatchError(ctx.db, batchId, error instanceof Error ? error.message.slice(0, 1000) : String(error));
  return batchId;
}

export type CreateBatchSchedulerParameters = {
  batcher: Batcher;
  db: Database;
  /** Run a cycle at least this often. */
  intervalMs: number;
  /** ...and as soon as this many plays wait for a batch. */
  batchMax: number;
  /** How often the pending count is looked at between intervals. */
  pollMs?: number;
  log?: LogLine;
};

export type BatchScheduler = PollingScheduler;

/**
 * Runs the batcher every `intervalMs`, or sooner once `batchMax` plays are pending. Cycles never overlap (the
 * batcher queues them), and a failed cycle is only logged: every step is recorded, so the next tick resumes it.
 */
export function createBatchScheduler({ batcher, db, intervalMs, batchMax, pollMs = Math.min(1_000, intervalMs), log = () => {} }: CreateBatchSchedulerParameters): BatchScheduler {
  return createPollingScheduler({
    run: () => batcher.runCycle(),
    drain: () => batcher.stop(),
    intervalMs,
    pollMs,
    due: async () => (await countUnbatchedPlays(db)) >= batchMax,
    // A full batch sealed: more may be waiting, so look again at once rather than after the poll delay.
    again: async (result) => result.sealed !== undefined && (await countUnbatchedPlays(db)) >= batchMax,
    onResult: (result) => {
      if (result.committed.length > 0) log(`batches committed: ${result.committed.join(", ")}`, { batchIds: result.committed.map(String) });
    },
    onError: (error) => log(`batch cycle failed, retried next tick: ${error instanceof Error ? error.message : String(error)}`, { level: "warn", err: error }),
  });
}
