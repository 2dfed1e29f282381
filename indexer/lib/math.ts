/**
 * The contracts' integer math, mirrored exactly so the indexer's figures equal chain state to the unit:
 * CurveMath (spot price, fee split) and RevenueMath (the per-coin revenue accumulator) with the same
 * rounding. Pure functions: the handlers, the API and the tests share them.
 */
import type { Hex } from "viem";

const WAD = 10n ** 18n;
/** RevenueMath.PRECISION: scale of the revenue accumulator. */
export const REVENUE_PRECISION = 10n ** 27n;
/** CreatorCoin.MIN_ELIGIBLE_SUPPLY: below one whole eligible coin, deposits are carried. */
export const MIN_ELIGIBLE_SUPPLY = 10n ** 18n;

const FEE_BPS = 250n;
const CREATOR_FEE_BPS = 100n;
const TREASURY_FEE_BPS = 50n;

/** CurveMath.spotPrice: USDC units per 1e18 coin units, rounded down. */
export function spotPrice({ virtualUsdc, usdcReserve, coinReserve }: { virtualUsdc: bigint; usdcReserve: bigint; coinReserve: bigint }): bigint {
  if (coinReserve === 0n) return 0n;
  return ((virtualUsdc + usdcReserve) * WAD) / coinReserve;
}

/** Market capitalisation in USDC units: the whole supply at the spot price (rounded down). */
export function marketCap({ price, totalSupply }: { price: bigint; totalSupply: bigint }): bigint {
  return (price * totalSupply) / WAD;
}

/** CurveMath.splitFee: creator and treasury parts round down, the holders get the rest. */
export function splitFee(fee: bigint): { creatorFee: bigint; holderFee: bigint; treasuryFee: bigint } {
  const creatorFee = (fee * CREATOR_FEE_BPS) / FEE_BPS;
  const treasuryFee = (fee * TREASURY_FEE_BPS) / FEE_BPS;
  return { creatorFee, holderFee: fee - creatorFee - treasuryFee, treasuryFee };
}

/** RevenueMath.accrued: USDC earned by `balance` while the accumulator moved from `snapshot` to `accumulator`. */
export function accruedRevenue(balance: bigint, accumulator: bigint, snapshot: bigint): bigint {
  return (balance * (accumulator - snapshot)) / REVENUE_PRECISION;
}

export type RevenueState = { revenuePerToken: bigint; eligibleSupply: bigint; undistributedRevenue: bigint };

/**
 * CreatorCoin._accrue: spreads `amount` plus the carry over the eligible supply, or carries it all. Returns only the
 * three revenue fields (never a copy of `state`, which in a handler is a whole coin row behind a proxy).
 */
export function accrueRevenue(state: RevenueState, amount: bigint): RevenueState {
  const { revenuePerToken, eligibleSupply } = state;
  const pending = state.undistributedRevenue + amount;
  if (eligibleSupply < MIN_ELIGIBLE_SUPPLY) return { revenuePerToken, eligibleSupply, undistributedRevenue: pending };
  const increase = (pending * REVENUE_PRECISION) / eligibleSupply;
  const product = increase * eligibleSupply;
  // RevenueMath.distributed rounds up, so the carry is never overstated.
  const distributed = product / REVENUE_PRECISION + (product % REVENUE_PRECISION === 0n ? 0n : 1n);
  return { revenuePerToken: revenuePerToken + increase, eligibleSupply, undistributedRevenue: pending - distributed };
}

export type HolderRevenue = { balance: bigint; excluded: boolean; revenueSnapshot: bigint; owed: bigint };

/** CreatorCoin._settle: moves what `holder` earned since its snapshot into `owed`. Excluded holders earn nothing. */
export function settleHolder<T extends HolderRevenue>(holder: T, accumulator: bigint): T {
  if (holder.excluded || holder.revenueSnapshot === accumulator) return holder;
  return { ...holder, owed: holder.owed + accruedRevenue(holder.balance, accumulator, holder.revenueSnapshot), revenueSnapshot: accumulator };
}

/** CreatorCoin.claimableRevenue. */
export function claimableRevenue(holder: HolderRevenue, accumulator: bigint): bigint {
  if (holder.excluded) return holder.owed;
  return holder.owed + accruedRevenue(holder.balance, accumulator, holder.revenueSnapshot);
}

/** PlayDeltas: 12-byte entries, an 8-byte big-endian track id then a 4-byte big-endian play delta. */
export function decodeDeltas(deltas: Hex): { trackId: bigint; plays: bigint }[] {
  const hex = deltas.slice(2);
  const entries: { trackId: bigint; plays: bigint }[] = [];
  for (let offset = 0; offset + 24 <= hex.length; offset += 24) {
    entries.push({ trackId: BigInt(`0x${hex.slice(offset, offset + 16)}`), plays: BigInt(`0x${hex.slice(offset + 16, offset + 24)}`) });
  }
  return entries;
}

export const CANDLE_INTERVALS = { "1m": 60n, "1h": 3_600n, "1d": 86_400n } as const;
export type CandleInterval = keyof typeof CANDLE_INTERVALS;

/** Start of the `seconds`-long bucket holding `timestamp` (UTC-aligned, as the epoch is). */
export function bucketStart(timestamp: bigint, seconds: bigint): bigint {
  return timestamp - (timestamp % seconds);
}
