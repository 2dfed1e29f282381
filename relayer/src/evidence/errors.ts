import { EvidenceError } from "../errors.js";

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

/** Engagement evidence that names an action or share channel docs/engagement.md does not define. */
export class InvalidEngagementEvidenceError extends EvidenceError {
  constructor(reason: string) {
    super("invalid_engagement_evidence", reason);
  }
}
