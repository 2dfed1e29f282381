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
  trades: 0,
  volumeUsdc: 0n,
  feesTotal: 0n,
  treasuryFeesAccrued: 0n,
  treasuryFeesClaimed: 0n,
  revenueDeposited: 0n,
  revenueClaimed: 0n,
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

export type AddHourlyParameters = { db: Context["db"]; timestamp: bigint; plays?: bigint; trades?: number; volumeUsdc?: bigint };

/** Adds to the platform's row of the UTC hour holding `timestamp` (the rolling windows of /stats). */
export async function addHourly({ db, timestamp, plays = 0n, trades = 0, volumeUsdc = 0n }: AddHourlyParameters): Promise<void> {
  await db
    .insert(platformHourly)
    .values({ hour: bucketStart(timestamp, 3_600n), plays, trades, volumeUsdc })
    .onConflictDoUpdate((row) => ({ plays: row.plays + plays, trades: row.trades + trades, volumeUsdc: row.volumeUsdc + volumeUsdc }));
}
