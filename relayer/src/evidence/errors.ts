import { RelayerError } from "../errors.js";

/**
 * Errors of batch evidence (tree, deltas, snapshot, CIDs) and of the snapshot stores: `EvidenceError` is this part's
 * branch of `RelayerError`, its codes a subset of the relayer's (statuses in ../errors.ts).
 */
export type EvidenceErrorCode =
  | "invalid_play"
  | "duplicate_play"
  | "empty_batch"
  | "unknown_track_creator"
  | "track_id_too_large"
  | "invalid_delta"
  | "play_not_in_tree"
  | "snapshot_invalid"
  | "snapshot_not_canonical"
  | "invalid_cid"
  | "snapshot_not_found"
  | "snapshot_corrupt"
  | "store_cid_mismatch"
  | "store_bad_response"
  | "store_timeout"
  | "store_unavailable"
  | "store_config_invalid";

/** An evidence or store failure; `code` is one of `EvidenceErrorCode`. */
export class EvidenceError extends RelayerError {
  declare readonly code: EvidenceErrorCode;
  constructor(code: EvidenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A play field is outside its Solidity type (or not the shape the leaf encoding needs). */
export class InvalidPlayError extends EvidenceError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super("invalid_play", `play field ${field}: ${reason}`);
  }
}

/** Two plays of one batch share (listener, nonce): one of them would be counted twice. */
export class DuplicatePlayError extends EvidenceError {
  constructor(
    readonly listener: string,
    readonly nonce: string,
  ) {
    super("duplicate_play", `play (listener ${listener}, nonce ${nonce}) appears twice in the batch`);
  }
}

/** MusicNFT rejects a commit without deltas, and a Merkle tree needs at least one leaf. */
export class EmptyBatchError extends EvidenceError {
  constructor() {
    super("empty_batch", "a batch needs at least one play");
  }
}

/** A play names a track whose creator the caller did not supply (an unminted track must never reach a batch). */
export class UnknownTrackCreatorError extends EvidenceError {
  constructor(readonly trackId: bigint) {
    super("unknown_track_creator", `no creator known for track ${trackId}`);
  }
}

/** MusicNFT's packed deltas carry track ids in 8 bytes. */
export class TrackIdTooLargeError extends EvidenceError {
  constructor(readonly trackId: bigint) {
    super("track_id_too_large", `track id ${trackId} does not fit the 8-byte packed delta entry`);
  }
}

/** A delta that MusicNFT would reject (zero or negative) or packed bytes that are not whole 12-byte entries. */
export class InvalidDeltaError extends EvidenceError {
  constructor(reason: string) {
    super("invalid_delta", reason);
  }
}

/** `proofFor` was asked about a play that is not a leaf of the tree. */
export class PlayNotInTreeError extends EvidenceError {
  constructor(
    readonly listener: string,
    readonly nonce: string,
  ) {
    super("play_not_in_tree", `play (listener ${listener}, nonce ${nonce}) is not in this tree`);
  }
}

/** Snapshot bytes that are not UTF-8 JSON of the snapshot schema. `issues` says where. */
export class SnapshotInvalidError extends EvidenceError {
  constructor(
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super("snapshot_invalid", `snapshot does not match its schema: ${issues.join("; ")}`, options);
  }
}

/** Valid snapshot content in a non-canonical encoding: its CID would differ from the canonical one. */
export class SnapshotNotCanonicalError extends EvidenceError {
  constructor() {
    super("snapshot_not_canonical", "snapshot bytes are not the canonical encoding of their content");
  }
}

/** A string that is not a CIDv1 (sha2-256, raw or dag-pb) of the kind `cidOf` produces. */
export class InvalidCidError extends EvidenceError {
  constructor(
    readonly cid: string,
    reason: string,
  ) {
    super("invalid_cid", `invalid CID ${JSON.stringify(cid)}: ${reason}`);
  }
}
