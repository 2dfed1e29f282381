import type { Address, Hex } from "viem";

// The shapes the tables hold, declared here so that repo/ stands below chain/, evidence/ and stores/ (whose own
// types — SentTransaction, MinedReceipt, TrackDelta, StoredSnapshot — are these shapes or wider).

/** A transaction as a row records it, before anything waits on it. */
export type RecordedTransaction = { hash: Hex; nonce: number };

/** Where a mined transaction landed. */
export type MinedAt = { hash: Hex; blockNumber: bigint };

/** A track's plays in one batch, with its creator. */
export type TrackTotal = { trackId: bigint; creator: Address; plays: bigint };

/** A creator's plays in one batch, over all their tracks. */
export type CreatorPlays = { creator: Address; plays: bigint };

/** Where a batch's snapshot was stored. */
export type StoredEvidence = { cid: string; pieceCid: string; size: number };
