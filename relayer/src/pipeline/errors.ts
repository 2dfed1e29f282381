import { messageOf } from "../chain/errors.js";
import { RelayerError } from "../errors.js";

/**
 * The chain already holds batch `batchId` under another root. Never overwritten, never skipped: the database and
 * the chain disagree about history, which needs an operator (another relayer on the same contract, a restored backup).
 */
export class BatchConflictError extends RelayerError {
  override name = "BatchConflictError";
  constructor(
    readonly batchId: bigint,
    readonly localRoot: string,
    readonly chainRoot: string,
  ) {
    super("batch_conflict", `batch ${batchId}: chain root ${chainRoot} differs from the sealed root ${localRoot}; refusing to continue`);
  }
}

/** Writing the snapshot to the store failed; the batch stays sealed and the next cycle retries. */
export class SnapshotStoreError extends RelayerError {
  override name = "SnapshotStoreError";
  constructor(batchId: bigint, cause: unknown) {
    super("storage_unavailable", `storing the snapshot of batch ${batchId} failed: ${messageOf(cause)}`, { status: 503, cause });
  }
}

/** A cycle was asked for after shutdown began. */
export class BatcherStoppedError extends RelayerError {
  override name = "BatcherStoppedError";
  constructor() {
    super("batcher_stopped", "the batcher is shutting down", { status: 503 });
  }
}

/** `POST /v1/admin/flush` on an app built without a batcher (a read-only replica). */
export class BatcherDisabledError extends RelayerError {
  override name = "BatcherDisabledError";
  constructor() {
    super("batcher_disabled", "this relayer runs no batcher", { status: 503 });
  }
}

