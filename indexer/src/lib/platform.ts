import type { Context } from "ponder:registry";
import { creator, platform, platformHourly } from "ponder:schema";
import { bucketStart } from "../../lib/math.js";

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

export type EnsureCreatorParameters = { db: Context["db"]; address: `0x${string}`; timestamp: bigint };

/** The creator row of `address`, created (and counted on the platform) the first time the creator appears. */
export async function ensureCreator({ db, address, timestamp }: EnsureCreatorParameters): Promise<typeof creator.$inferSelect> {
  const existing = await db.find(creator, { address });
  if (existing !== null) return existing;
  const row = await db.insert(creator).values({ address, firstSeenAt: timestamp });
  await updatePlatform(db, (p) => ({ creators: p.creators + 1 }));
  return row;
}

export type AddHourlyPlaysParameters = { db: Context["db"]; timestamp: bigint; plays: bigint };

/** Adds to the platform's plays of the UTC hour holding `timestamp` (the rolling window of /stats). */
export async function addHourlyPlays({ db, timestamp, plays }: AddHourlyPlaysParameters): Promise<void> {
  await db
    .insert(platformHourly)
    .values({ hour: bucketStart(timestamp, 3_600n), plays })
    .onConflictDoUpdate((row) => ({ plays: row.plays + plays }));
}
