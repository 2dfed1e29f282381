import type { Address } from "viem";
import type { ChainWriter, MinedReceipt, Resend, SentTransaction } from "../chain/writer.js";
import type { Database } from "../repo/db/database.js";
import { lowerHex } from "../crypto/hex.js";
import { buildPlaysTree, rootOf } from "../crypto/merkle.js";
import { computeDeltas, packDeltas } from "../evidence/deltas.js";
import { buildSnapshot, encodeSnapshot } from "../evidence/snapshot.js";
import type { SnapshotStore } from "../stores/snapshot-store.js";
import { ChainRevertError, ReceiptTimeoutError } from "../chain/errors.js";
import { BatchConflictError, BatchStateError, SnapshotStoreError } from "./errors.js";
import { batchPlays, encodeCreators, encodeTracks, lastBatch, loadBatch, pendingPlays, type BatchRecord } from "./records.js";

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
  /** Storage failures, for the metric. */
  onStorageError?: () => void;
  /** trackId → creator; a track's creator is fixed at mint, so entries never go stale. */
  creatorCache?: Map<bigint, Address>;
};

/**
 * Seal: takes up to `batchMax` unbatched plays, oldest first, into batch `last id + 1` (on an empty database, the
 * chain's `nextBatchId`), with its root, packed deltas, per-track and per-creator totals, the previous batch's CID,
 * and each play's leaf index — all in one transaction, so a crash leaves the plays either pending or sealed.
 * Returns the new batch id, or undefined when nothing is pending.
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
  const ids = plays.map((play) => play.id);
  const indexes = plays.map((play) => leafIndex.get(`${lowerHex(play.listener)}:${lowerHex(play.nonce)}`) ?? -1);

  await ctx.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO batches (id, status, play_count, track_count, root, deltas, previous_cid, tracks, creators, sealed_at)
       VALUES ($1, 'sealed', $2, $3, $4, $5, $6, $7, $8, now())`,
      [batchId.toString(), plays.length, tracks.length, rootOf(tree), packDeltas(tracks), previous?.cid ?? null, encodeTracks(tracks), encodeCreators(creators)],
    );
    const { rowCount } = await tx.query(
      `UPDATE plays p SET batch_id = $1, leaf_index = v.leaf_index
         FROM unnest($2::bigint[], $3::integer[]) AS v (id, leaf_index)
        WHERE p.id = v.id AND p.batch_id IS NULL`,
      [batchId.toString(), ids, indexes],
    );
    // Someone else batched one of these plays meanwhile: roll back rather than commit a tree with a stolen leaf.
    if (rowCount !== plays.length) throw new BatchStateError(`batch ${batchId}: ${plays.length - rowCount} play(s) were batched concurrently`);
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
  });
  if (snapshot.root !== batch.root) throw new BatchStateError(`batch ${batchId}: its plays now give root ${snapshot.root}, sealed ${batch.root}`);
  let stored;
  try {
    stored = await ctx.store.put(encodeSnapshot(snapshot));
  } catch (error) {
    ctx.onStorageError?.();
    throw new SnapshotStoreError(batchId, error);
  }
  await ctx.db.query(
    `UPDATE batches SET status = 'stored', cid = $2, piece_cid = $3, snapshot_size = $4, stored_at = now() WHERE id = $1 AND status = 'sealed'`,
    [batchId.toString(), stored.cid, stored.pieceCid, stored.size],
  );
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
  await recordTransaction(ctx, batchId, "stored", sent);
}

/**
 * Confirm: drives the recorded transaction to its receipt and marks the batch committed with its block. A
 * transaction no node knows any more is resent with its own nonce (or a fresh one if that nonce was spent).
 */
export async function confirmBatch(ctx: BatcherContext, batchId: bigint): Promise<void> {
  const batch = await expectStatus(ctx, batchId, "submitted");
  if (batch.txHash === null || batch.txNonce === null) throw new BatchStateError(`batch ${batchId} is submitted without a transaction`);
  const receipt = await settle(ctx.writer, { hash: batch.txHash, nonce: batch.txNonce }, {
    done: () => recogniseCommitted(ctx, batch),
    resend: (resend) => sendCommit(ctx, batch, resend),
    record: (sent) => recordTransaction(ctx, batchId, "submitted", sent),
  });
  if (receipt !== undefined) await markCommitted(ctx, batch, receipt);
}

/**
 * Milestones: sends `updateCreatorMetrics` for every recorded milestone not yet confirmed, oldest batch first (the
 * factory keeps the last report, so a newer one must never be overtaken by an older one). The hash and nonce are
 * recorded before waiting, so a restart waits for or replaces the same transaction rather than sending another.
 */
export async function sendMilestones(ctx: BatcherContext): Promise<number> {
  const reporter = ctx.reporter ?? ctx.writer;
  const { rows } = await ctx.db.query<{ batch_id: string; creator: string; plays: string; cid: string; status: string; tx_hash: string | null; tx_nonce: string | null }>(
    `SELECT m.batch_id::text, m.creator, m.plays, b.cid, m.status, m.tx_hash, m.tx_nonce::text
       FROM creator_milestones m JOIN batches b ON b.id = m.batch_id
      WHERE m.status <> 'confirmed' ORDER BY m.batch_id, m.creator`,
  );
  for (const row of rows) {
    const creator = lowerHex(row.creator);
    const args = { creator, plays: BigInt(row.plays), cid: row.cid };
    const key = [row.batch_id, row.creator];
    const record = async (sent: SentTransaction) => {
      await ctx.db.query(`UPDATE creator_milestones SET status = 'submitted', tx_hash = $3, tx_nonce = $4 WHERE batch_id = $1 AND creator = $2`, [
        ...key,
        sent.hash,
        sent.nonce,
      ]);
    };
    let sent: SentTransaction;
    if (row.tx_hash === null || row.tx_nonce === null) {
      sent = await reporter.updateCreatorMetrics(args);
      await record(sent);
    } else sent = { hash: lowerHex(row.tx_hash), nonce: Number(row.tx_nonce) };
    const receipt = await settle(reporter, sent, { resend: (resend) => reporter.updateCreatorMetrics({ ...args, ...resend }), record });
    await ctx.db.query(
      `UPDATE creator_milestones SET status = 'confirmed', tx_hash = $3, block_number = $4, confirmed_at = now() WHERE batch_id = $1 AND creator = $2`,
      [...key, receipt?.hash ?? sent.hash, receipt?.blockNumber.toString() ?? null],
    );
  }
  return rows.length;
}

type SettleHooks = {
  /** Whether the goal was reached another way (the batch is on chain already); it then records that itself. */
  done?: () => Promise<boolean>;
  resend: (resend: Resend) => Promise<SentTransaction>;
  record: (sent: SentTransaction) => Promise<void>;
};

const SETTLE_ROUNDS = 3;

/**
 * Waits for a recorded transaction; when it was dropped or reverted, resends — with its own nonce while that is
 * unused, so the two can never both be mined — and records the replacement before waiting again. One still pending
 * when the receipt wait times out is stuck (underpriced for the market): it is outbid with the same nonce and fees
 * raised 12.5 %, so whichever of the two is mined, the write happens once.
 * `writer` is the one whose account sent it: a dropped transaction's nonce is that account's.
 * Returns the successful receipt, or undefined when `done` says the goal was reached otherwise.
 */
async function settle(writer: ChainWriter, recorded: SentTransaction, hooks: SettleHooks): Promise<MinedReceipt | undefined> {
  let current = recorded;
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    const state = await writer.transactionState(current);
    let receipt: MinedReceipt | undefined;
    if (state.kind === "mined") receipt = state.receipt;
    else if (state.kind === "pending") {
      receipt = await writer.waitForReceipt(current.hash).catch((error: unknown) => {
        if (error instanceof ReceiptTimeoutError) return undefined;
        throw error;
      });
      if (receipt === undefined) {
        current = await hooks.resend({ nonce: current.nonce, replaces: current.hash });
        await hooks.record(current);
        continue;
      }
    }
    if (receipt?.status === "success") return receipt;
    if (await hooks.done?.()) return undefined;
    // Dropped with its nonce unused: same nonce. Reverted, or its nonce taken: the nonce is spent, take a fresh one.
    current = await hooks.resend(state.kind === "dropped" && state.nonceFree ? { nonce: current.nonce } : {});
    await hooks.record(current);
  }
  throw new BatchStateError(`transaction ${current.hash} still not successful after ${SETTLE_ROUNDS} sends`);
}

function sendCommit(ctx: BatcherContext, batch: BatchRecord, resend: Resend = {}): Promise<SentTransaction> {
  if (batch.cid === null) throw new BatchStateError(`batch ${batch.id} has no CID`);
  return ctx.writer.commitPlays({ batchId: batch.id, root: batch.root, cid: batch.cid, deltas: batch.deltas, ...resend });
}

async function recordTransaction(ctx: BatcherContext, batchId: bigint, from: "stored" | "submitted", sent: SentTransaction): Promise<void> {
  await ctx.db.query(
    `UPDATE batches SET status = 'submitted', tx_hash = $3, tx_nonce = $4, submitted_at = now(), attempts = attempts + 1
      WHERE id = $1 AND status = $2`,
    [batchId.toString(), from, sent.hash, sent.nonce],
  );
}

/**
 * Whether the chain already holds this batch. Same root: it is marked committed with the transaction and block of
 * its PlaysCommitted log. Another root: `BatchConflictError`, loudly — the chain's history is never overwritten.
 */
async function recogniseCommitted(ctx: BatcherContext, batch: BatchRecord): Promise<boolean> {
  if ((await ctx.writer.nextBatchId()) <= batch.id) return false;
  const chainRoot = lowerHex(await ctx.writer.batchRoot(batch.id));
  if (chainRoot !== batch.root) throw new BatchConflictError(batch.id, batch.root, chainRoot);
  const commit = await ctx.writer.findCommit(batch.id);
  if (commit === undefined) throw new BatchStateError(`batch ${batch.id} has a root on chain but no PlaysCommitted log`);
  await markCommitted(ctx, batch, commit);
  return true;
}

/**
 * Marks the batch committed and records, in the same transaction, every creator milestone it crossed: a crash after
 * this point cannot forget a milestone, and one before it recomputes the same ones.
 */
async function markCommitted(ctx: BatcherContext, batch: BatchRecord, receipt: Pick<MinedReceipt, "hash" | "blockNumber">): Promise<void> {
  const milestones = await crossedMilestones(ctx, batch, receipt.blockNumber);
  await ctx.db.transaction(async (tx) => {
    await tx.query(
      // submitted_at stays as recorded; a batch found on chain (never sent by us) gets the time it was found.
      `UPDATE batches SET status = 'committed', tx_hash = $2, block_number = $3, committed_at = now(), last_error = NULL,
              submitted_at = coalesce(submitted_at, now())
        WHERE id = $1 AND status IN ('stored', 'submitted')`,
      [batch.id.toString(), receipt.hash, receipt.blockNumber.toString()],
    );
    if (milestones.length === 0) return;
    await tx.query(
      `INSERT INTO creator_milestones (batch_id, creator, plays)
       SELECT $1, creator, plays FROM unnest($2::text[], $3::text[]) AS m (creator, plays)
       ON CONFLICT DO NOTHING`,
      [batch.id.toString(), milestones.map((m) => m.creator), milestones.map((m) => m.plays.toString())],
    );
  });
}

const READ_CONCURRENCY = 16;

/** Creators of the batch whose committed plays, read at the commit's block, crossed a multiple of `milestonePlays`. */
async function crossedMilestones(ctx: BatcherContext, batch: BatchRecord, blockNumber: bigint): Promise<{ creator: Address; plays: bigint }[]> {
  const crossed: { creator: Address; plays: bigint }[] = [];
  for (let start = 0; start < batch.creators.length; start += READ_CONCURRENCY) {
    const chunk = batch.creators.slice(start, start + READ_CONCURRENCY);
    const totals = await Promise.all(chunk.map(({ creator }) => ctx.writer.creatorPlays(creator, blockNumber)));
    chunk.forEach(({ creator, plays }, index) => {
      const after = totals[index] ?? 0n;
      if (after / ctx.milestonePlays > (after - plays) / ctx.milestonePlays) crossed.push({ creator, plays: after });
    });
  }
  return crossed;
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

