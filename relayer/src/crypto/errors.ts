import { EvidenceError } from "../errors.js";

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

/** `proofFor` was asked about a play that is not a leaf of the tree. */
export class PlayNotInTreeError extends EvidenceError {
  constructor(
    readonly listener: string,
    readonly nonce: string,
  ) {
    super("play_not_in_tree", `play (listener ${listener}, nonce ${nonce}) is not in this tree`);
  }
}
