import type { Address } from "viem";
import type { CreatorMilestone, CreatorTotals, FollowerDelta, MilestoneReason } from "../repo/types.js";

/** The three thresholds: a creator whose committed total crosses a multiple of one gets `updateCreatorMetrics`. */
export type MilestoneThresholds = { plays: bigint; followers: bigint; revenue: bigint };

export type CommitTotalsParameters = {
  /** Creators' plays in the batch. */
  batchPlays: ReadonlyMap<Address, bigint>;
  /** Committed plays after the commit (MusicNFT.creatorPlays at the commit's block), for every creator below. */
  playsAfter: ReadonlyMap<Address, bigint>;
  followerDeltas: readonly FollowerDelta[];
  /** Revenue events since the previous commit, per creator. */
  revenueDeltas: ReadonlyMap<Address, bigint>;
  /** Committed totals before the commit, for every creator below. */
  before: ReadonlyMap<Address, CreatorTotals>;
  thresholds: MilestoneThresholds;
};

export type CommitTotalsReturnType = { totals: CreatorTotals[]; milestones: CreatorMilestone[] };

/**
 * What a commit does to the creators it touches (plays, follows or revenue in the period): their new committed
 * totals, and one milestone per creator whose plays, followers or revenue crossed a multiple of its threshold, with
 * all three totals and every threshold crossed. Followers can fall; a follower milestone fires when the total passes
 * a multiple above the highest it ever reached, so a creator going 1000 → 999 → 1000 fires 1000 once.
 */
export function commitTotals({ batchPlays, playsAfter, followerDeltas, revenueDeltas, before, thresholds }: CommitTotalsParameters): CommitTotalsReturnType {
  const followerDelta = new Map<Address, bigint>();
  for (const { artist, followers } of followerDeltas) followerDelta.set(artist, (followerDelta.get(artist) ?? 0n) + BigInt(followers));
  const creators = [...new Set([...batchPlays.keys(), ...followerDelta.keys(), ...revenueDeltas.keys()])].sort();
  const totals: CreatorTotals[] = [];
  const milestones: CreatorMilestone[] = [];
  const crosses = (from: bigint, to: bigint, step: bigint) => to > from && to / step > from / step;
  for (const creator of creators) {
    const previous = before.get(creator) ?? { creator, followers: 0n, followersPeak: 0n, revenue: 0n };
    const plays = playsAfter.get(creator) ?? 0n;
    // A follower total never goes below zero; a negative sum would mean an unfollow counted before its follow.
    const followers = maxOf(0n, previous.followers + (followerDelta.get(creator) ?? 0n));
    const revenue = previous.revenue + (revenueDeltas.get(creator) ?? 0n);
    const reasons: MilestoneReason[] = [];
    if (crosses(plays - (batchPlays.get(creator) ?? 0n), plays, thresholds.plays)) reasons.push("plays");
    if (crosses(previous.followersPeak, followers, thresholds.followers)) reasons.push("followers");
    if (crosses(previous.revenue, revenue, thresholds.revenue)) reasons.push("revenue");
    totals.push({ creator, followers, followersPeak: maxOf(previous.followersPeak, followers), revenue });
    if (reasons.length > 0) milestones.push({ creator, plays, followers, revenue, reasons });
  }
  return { totals, milestones };
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
