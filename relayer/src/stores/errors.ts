import { EvidenceError } from "../errors.js";

/** No snapshot with this CID in the store (or the gateway answered 404). */
export class SnapshotNotFoundError extends EvidenceError {
  constructor(readonly cid: string) {
    super("snapshot_not_found", `snapshot ${cid} not found`);
  }
}

/** Bytes read back under `cid` hash to `actualCid`: disk corruption, tampering or a lying gateway. */
export class SnapshotCorruptError extends EvidenceError {
  constructor(
    readonly cid: string,
    readonly actualCid: string,
  ) {
    super("snapshot_corrupt", `snapshot ${cid} read back as content ${actualCid}`);
  }
}

/** The remote store named the upload `remoteCid`, not the locally computed `cid`: the upload is refused. */
export class StoreCidMismatchError extends EvidenceError {
  constructor(
    readonly cid: string,
    readonly remoteCid: string,
  ) {
    super("store_cid_mismatch", `store answered CID ${remoteCid} for content whose CID is ${cid}`);
  }
}

/** The remote store answered something that is not its documented response. */
export class StoreBadResponseError extends EvidenceError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super("store_bad_response", `unexpected store response: ${reason}`, options);
  }
}

/** One attempt took longer than the configured timeout (retried like any transient failure). */
export class StoreTimeoutError extends EvidenceError {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super("store_timeout", `${operation} timed out after ${timeoutMs} ms`);
  }
}

/** Every attempt of `operation` failed; `cause` is the last failure. */
export class StoreUnavailableError extends EvidenceError {
  constructor(
    readonly operation: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("store_unavailable", `${operation} failed after ${attempts} attempt(s): ${reason}`, { cause });
  }
}

/** A store setting that cannot work (no API key, a negative timeout, a URL that does not parse). */
export class StoreConfigError extends EvidenceError {
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super("store_config_invalid", `store setting ${setting}: ${reason}`);
  }
}
