/**
 * Revenue as of the latest indexed block. The coin rows hold CreatorCoin's stored revenue state, which unlocks with
 * time alone; the contract's views bring it forward to their block's timestamp, and so does the API, to the
 * timestamp of the latest block Ponder has indexed (what /status reports), so that at that block every figure
 * equals the contract's view.
 */
import { sql } from "ponder";
import { db } from "ponder:api";
import type { coin } from "ponder:schema";
import { REVENUE_UNIT, unlockRevenue, type RevenueState } from "../../lib/math.js";

/** Ponder's checkpoint of the chain: it starts with the block timestamp, 10 decimal digits. */
export async function indexedTimestamp(): Promise<bigint> {
  const result = await db.execute(sql`select min(substring(latest_checkpoint from 1 for 10)) as timestamp from _ponder_checkpoint`);
  const value = (result.rows[0] as { timestamp?: string | null } | undefined)?.timestamp;
  return value === undefined || value === null ? 0n : BigInt(value);
}

/** The accumulator as of `at` (CreatorCoin.revenuePerToken at a block with that timestamp). */
export function accumulatorAt(state: RevenueState, at: bigint): bigint {
  return unlockRevenue(state, at).state.revenueAccumulator;
}

type CoinRow = typeof coin.$inferSelect;

/**
 * A coin row as the API answers it: the stored state as it is (revenueAccumulator, eligibleUnits, revenueUpdatedAt,
 * lockedRevenue = CreatorCoin.revenueState()), and the contract's views as of `at` (revenuePerToken,
 * eligibleSupply, undistributedRevenue), with `revenueAsOf` = `at`. The replay's bookkeeping stays out.
 */
export function coinAt(row: CoinRow, at: bigint) {
  const { sellFeePending: _bookkeeping, ...fields } = row;
  const { state } = unlockRevenue(row, at);
  return {
    ...fields,
    revenuePerToken: state.revenueAccumulator,
    eligibleSupply: row.eligibleUnits * REVENUE_UNIT,
    undistributedRevenue: state.lockedRevenue,
    revenueAsOf: at,
  };
}
