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

/** Which thresholds a creator's committed totals crossed at a commit. */
export type MilestoneReason = "plays" | "followers" | "revenue";

/** A creator milestone as a commit records it: the three real totals, reported together, and why. */
export type CreatorMilestone = { creator: Address; plays: bigint; followers: bigint; revenue: bigint; reasons: readonly MilestoneReason[] };

/** A creator's committed follower and revenue totals (creator_totals). */
export type CreatorTotals = { creator: Address; followers: bigint; followersPeak: bigint; revenue: bigint };

/** A creator's follower change in one batch. */
export type FollowerDelta = { artist: Address; followers: number };

/** An effective engagement event with its database id, as the seal step reads it (fields as ENGAGEMENT_TYPES). */
export type StoredEngagement = {
  id: string;
  fan: Address;
  action: string;
  trackId: bigint;
  artist: Address;
  subject: Hex;
  text: string;
  value: number;
  nonce: Hex;
  issuedAt: bigint;
  signature: Hex;
};
