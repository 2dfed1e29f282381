import { RelayerError } from "../errors.js";

/** A chain write or read kept failing at the RPC level after every retry; the batch stays at its step. */
export class ChainUnavailableError extends RelayerError {
  override name = "ChainUnavailableError";
  constructor(operation: string, attempts: number, cause: unknown) {
    super("chain_unavailable", `${operation} failed after ${attempts} attempt(s): ${messageOf(cause)}`, { status: 503, cause });
  }
}

/** The chain refused a transaction; `errorName` is the decoded custom error (never matched by message text). */
export class ChainRevertError extends RelayerError {
  override name = "ChainRevertError";
  constructor(
    readonly operation: string,
    readonly errorName: string,
    readonly args: readonly unknown[] = [],
    cause?: unknown,
  ) {
    super("chain_reverted", `${operation} reverted with ${errorName}(${args.map(String).join(", ")})`, { cause });
  }
}

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

/** A step found the batch in a state it cannot act on (wrong status, rebuilt evidence differs from what seal recorded). */
export class BatchStateError extends RelayerError {
  override name = "BatchStateError";
  constructor(message: string) {
    super("batch_state", message);
  }
}

/** Writing the snapshot to the store failed; the batch stays sealed and the next cycle retries. */
export class SnapshotStoreError extends RelayerError {
  override name = "SnapshotStoreError";
  constructor(batchId: bigint, cause: unknown) {
    super("storage_unavailable", `storing the snapshot of batch ${batchId} failed: ${messageOf(cause)}`, { status: 503, cause });
  }
}

/** A receipt did not arrive in time; the transaction stays recorded and the next cycle checks it again. */
export class ReceiptTimeoutError extends RelayerError {
  override name = "ReceiptTimeoutError";
  constructor(hash: string, timeoutMs: number) {
    super("receipt_timeout", `no receipt for ${hash} after ${timeoutMs} ms; it stays recorded and is checked again`, { status: 503 });
  }
}

/** A cycle was asked for after shutdown began. */
export class BatcherStoppedError extends RelayerError {
  override name = "BatcherStoppedError";
  constructor() {
    super("batcher_stopped", "the batcher is shutting down", { status: 503 });
  }
}

function messageOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message.split("\n")[0] ?? cause.name;
  return String(cause);
}

/** `POST /v1/admin/flush` on an app built without a batcher (a read-only replica). */
export class BatcherDisabledError extends RelayerError {
  override name = "BatcherDisabledError";
  constructor() {
    super("batcher_disabled", "this relayer runs no batcher", { status: 503 });
  }
}
