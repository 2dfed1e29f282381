/**
 * The contracts' integer math, mirrored exactly so the indexer's figures equal chain state to the unit:
 * CurveMath (spot price, fee split), RevenueMath and PackedRevenue (the per-coin revenue accumulator and the
 * unlocking of revenue over time) with the same rounding. Pure functions: the handlers, the API and the tests share them.
 */
import type { Hex } from "viem";

const WAD = 10n ** 18n;
/** RevenueMath.PRECISION: scale of the revenue accumulator. */
export const REVENUE_PRECISION = 10n ** 27n;
/** CreatorCoin.MIN_ELIGIBLE_SUPPLY: below one whole eligible coin, unlocked revenue goes to the market. */
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

/** RevenueMath.UNIT: the eligible supply is counted in units of 1e9 coin units, rounded up. */
export const REVENUE_UNIT = 10n ** 9n;
/** RevenueMath.UNIT_PRECISION: PRECISION per UNIT. */
const UNIT_PRECISION = REVENUE_PRECISION / REVENUE_UNIT;
/** CreatorCoin.MIN_ELIGIBLE_SUPPLY in UNITs: below it, what unlocks goes to the market instead of the accumulator. */
const MIN_ELIGIBLE_UNITS = MIN_ELIGIBLE_SUPPLY / REVENUE_UNIT;
/** CreatorCoin.REVENUE_UNLOCK_TIME: locked revenue unlocks as locked · elapsed / (elapsed + 7 days). */
export const REVENUE_UNLOCK_TIME = 604_800n;

/** RevenueMath.accrued: USDC earned by `balance` while the accumulator moved from `snapshot` to `accumulator`. */
export function accruedRevenue(balance: bigint, accumulator: bigint, snapshot: bigint): bigint {
  return (balance * (accumulator - snapshot)) / REVENUE_PRECISION;
}

/** RevenueMath.unlocked: what unlocks from `locked` over `elapsed` seconds, rounded down. */
export function unlockedRevenue(locked: bigint, elapsed: bigint): bigint {
  return (locked * elapsed) / (elapsed + REVENUE_UNLOCK_TIME);
}

/** CreatorCoin._ceilUnits: `value` coin units in UNITs, rounded up. */
export function ceilUnits(value: bigint): bigint {
  return (value + REVENUE_UNIT - 1n) / REVENUE_UNIT;
}

/**
 * A coin's stored revenue state, the four fields of CreatorCoin's packed word (`revenueState()`): the accumulator,
 * the eligible supply in UNITs, the time of the last stored update and the revenue still locked.
 */
export type RevenueState = { revenueAccumulator: bigint; eligibleUnits: bigint; revenueUpdatedAt: bigint; lockedRevenue: bigint };

/** Only the four revenue fields of `row` (a coin row in a handler is a whole row behind a proxy: never copy it). */
function revenueFields({ revenueAccumulator, eligibleUnits, revenueUpdatedAt, lockedRevenue }: RevenueState): RevenueState {
  return { revenueAccumulator, eligibleUnits, revenueUpdatedAt, lockedRevenue };
}

/**
 * PackedRevenue.unlock: `state` brought forward to `timestamp`, and what unlocked while less than one whole coin
 * was eligible (`toMarket`, which the contract credits to the market when it stores the result). The clock moves
 * only when the accumulator does, or freely when nothing is locked; what the rounding keeps stays locked.
 * Not path-independent: apply it exactly where the contract stores (or on a copy, where it brings the state
 * forward in memory only).
 */
export function unlockRevenue(state: RevenueState, timestamp: bigint): { state: RevenueState; toMarket: bigint } {
  const current = revenueFields(state);
  const { lockedRevenue: locked, eligibleUnits: units } = current;
  // Stored updates use block timestamps, so `timestamp` is never earlier; an API answer racing a write is clamped.
  const elapsed = timestamp > current.revenueUpdatedAt ? timestamp - current.revenueUpdatedAt : 0n;
  const amount = unlockedRevenue(locked, elapsed);
  // The clock always moves to `timestamp` (never back: an API answer racing a write is clamped above).
  const clock = timestamp > current.revenueUpdatedAt ? timestamp : current.revenueUpdatedAt;
  if (amount === 0n) return { state: { ...current, revenueUpdatedAt: clock }, toMarket: 0n };
  if (units < MIN_ELIGIBLE_UNITS) {
    return { state: { ...current, revenueUpdatedAt: timestamp, lockedRevenue: locked - amount }, toMarket: amount };
  }
  const increase = (amount * UNIT_PRECISION) / units;
  // Too little to move the accumulator: it stays locked, and the clock moves as above.
  if (increase === 0n) return { state: { ...current, revenueUpdatedAt: clock }, toMarket: 0n };
  // RevenueMath.distributed rounds up, so what stays locked is never overstated.
  const distributed = (increase * units + UNIT_PRECISION - 1n) / UNIT_PRECISION;
  return {
    state: { revenueAccumulator: current.revenueAccumulator + increase, eligibleUnits: units, revenueUpdatedAt: timestamp, lockedRevenue: locked - distributed },
    toMarket: 0n,
  };
}

/** PackedRevenue.withLocked after CreatorCoin._accrue's unlock: `amount` more revenue locked. */
export function lockRevenue(state: RevenueState, amount: bigint): RevenueState {
  return { ...revenueFields(state), lockedRevenue: state.lockedRevenue + amount };
}

/** CreatorCoin._moveEligible: `value` coins entering (UNITs rounded up) or leaving (rounded down) the eligible supply. */
export function moveEligible(state: RevenueState, value: bigint, entering: boolean): RevenueState {
  const units = entering ? state.eligibleUnits + ceilUnits(value) : state.eligibleUnits - value / REVENUE_UNIT;
  return { ...revenueFields(state), eligibleUnits: units };
}

/** The state a coin starts with (CreatorCoin.initialize): the whole supply eligible, nothing locked, clock at launch. */
export function launchRevenue(totalSupply: bigint, launchedAt: bigint): RevenueState {
  return { revenueAccumulator: 0n, eligibleUnits: ceilUnits(totalSupply), revenueUpdatedAt: launchedAt, lockedRevenue: 0n };
}

export type HolderRevenue = { balance: bigint; excluded: boolean; revenueSnapshot: bigint; owed: bigint };

/** CreatorCoin._settle: moves what `holder` earned since its snapshot into `owed`. Excluded holders earn nothing. */
export function settleHolder<T extends HolderRevenue>(holder: T, accumulator: bigint): T {
  if (holder.excluded || holder.revenueSnapshot === accumulator) return holder;
  return { ...holder, owed: holder.owed + accruedRevenue(holder.balance, accumulator, holder.revenueSnapshot), revenueSnapshot: accumulator };
}

/** CreatorCoin.claimableRevenue, with `accumulator` the stored one brought forward to the time asked about. */
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

/**
 * One UTC hour's plays per track, packed (platform_hourly.trackPlays): per track an 8-byte big-endian id then an
 * 8-byte big-endian play count, ascending by id. A batch adds to its hour's one row instead of writing a row per
 * track, and the rolling windows of `/tracks/top` add up at most 720 of these.
 */
export function decodeHourPlays(packed: Hex): Map<bigint, bigint> {
  const hex = packed.slice(2);
  const plays = new Map<bigint, bigint>();
  for (let offset = 0; offset + 32 <= hex.length; offset += 32) {
    plays.set(BigInt(`0x${hex.slice(offset, offset + 16)}`), BigInt(`0x${hex.slice(offset + 16, offset + 32)}`));
  }
  return plays;
}

/** `plays` added to the packed hour `packed` (see decodeHourPlays); a track with 0 plays is kept, as it was played. */
export function addHourPlays(packed: Hex, plays: Map<bigint, bigint>): Hex {
  const merged = decodeHourPlays(packed);
  for (const [trackId, delta] of plays) merged.set(trackId, (merged.get(trackId) ?? 0n) + delta);
  let hex = "0x";
  for (const trackId of [...merged.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    hex += trackId.toString(16).padStart(16, "0") + merged.get(trackId)!.toString(16).padStart(16, "0");
  }
  return hex as Hex;
}

export const CANDLE_INTERVALS = { "1m": 60n, "1h": 3_600n, "1d": 86_400n } as const;
export type CandleInterval = keyof typeof CANDLE_INTERVALS;

/** Start of the `seconds`-long bucket holding `timestamp` (UTC-aligned, as the epoch is). */
export function bucketStart(timestamp: bigint, seconds: bigint): bigint {
  return timestamp - (timestamp % seconds);
}
