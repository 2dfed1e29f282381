import type { Context } from "ponder:registry";
import { creator, platform, platformHourly } from "ponder:schema";
import { addHourPlays, bucketStart } from "../../lib/math.js";

type PlatformRow = typeof platform.$inferSelect;

const GLOBAL = "global";

const EMPTY: PlatformRow = {
  id: GLOBAL,
  tracks: 0,
  creators: 0,
  plays: 0n,
  batches: 0,
  coins: 0,
  treasuryFeesClaimed: 0n,
  listeners: 0,
  vaultDeposited: 0n,
  vaultSettled: 0n,
  vaultWithdrawn: 0n,
  earningsWithdrawn: 0n,
  treasury: null,
  defaultVirtualUsdc: 0n,
  dexPaused: false,
  vaultPaused: false,
  launchThreshold: 0n,
  coinSupply: 0n,
  creatorAllocationBps: 0n,
  vestingDuration: 0n,
};

/** Applies `change` to the single platform row (created on first use), so the totals are running sums. */
export async function updatePlatform(db: Context["db"], change: (row: PlatformRow) => Partial<PlatformRow>): Promise<void> {
  await db
    .insert(platform)
    .values({ ...EMPTY, ...change(EMPTY) })
    .onConflictDoUpdate((row) => change(row));
}

type CreatorRow = typeof creator.$inferSelect;

export type ChangeCreatorParameters = {
  db: Context["db"];
  address: `0x${string}`;
  /** The event's block time: the row's firstSeenAt if this creates it. */
  timestamp: bigint;
  /** The changed fields from the current row (a fresh one the first time); pure. */
  change: (row: CreatorRow) => Partial<CreatorRow>;
};

/**
 * Changes the creator row of `address` in one upsert whose update is computed from the current row, creating it the
 * first time the creator appears (instead of a find, an insert and a write). Returns whether it was created: the
 * caller counts it on the platform, in the platform write it makes anyway.
 */
export async function changeCreator({ db, address, timestamp, change }: ChangeCreatorParameters): Promise<{ created: boolean }> {
  let created = true;
  const fresh: CreatorRow = {
    address,
    tracks: 0,
    plays: 0n,
    reportedPlays: 0n,
    followers: 0n,
    revenue: 0n,
    latestSnapshotCid: null,
    metricsUpdatedAt: null,
    verified: false,
    coin: null,
    firstSeenAt: timestamp,
  };
  await db
    .insert(creator)
    .values({ ...fresh, ...change(fresh) })
    .onConflictDoUpdate((row) => {
      created = false;
      return change(row);
    });
  return { created };
}

export type AddHourlyPlaysParameters = {
  db: Context["db"];
  timestamp: bigint;
  /** The batch's plays. */
  plays: bigint;
  /** The batch's plays per track, each track once. */
  trackPlays: Map<bigint, bigint>;
};

/**
 * Adds a batch to the UTC hour holding `timestamp`: the platform's plays (the rolling window of /stats) and each
 * track's (the rolling windows of /tracks/top), in the hour's one row.
 */
export async function addHourlyPlays({ db, timestamp, plays, trackPlays }: AddHourlyPlaysParameters): Promise<void> {
  await db
    .insert(platformHourly)
    .values({ hour: bucketStart(timestamp, 3_600n), plays, trackPlays: addHourPlays("0x", trackPlays) })
    .onConflictDoUpdate((row) => ({ plays: row.plays + plays, trackPlays: addHourPlays(row.trackPlays, trackPlays) }));
}
