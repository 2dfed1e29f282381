/**
 * CreatorCoin's revenue bookkeeping as a model, so that tests can state exact expected values. The arithmetic
 * (RevenueMath, PackedRevenue) is the project's one TypeScript mirror of it, indexer/lib/math.ts, which the
 * indexer's tests check against the contracts block by block.
 */
import {
  accruedRevenue,
  ceilUnits,
  REVENUE_UNIT,
  REVENUE_UNLOCK_TIME,
  unlockedRevenue,
  unlockRevenue,
} from "../../../indexer/lib/math.js";

/** PackedRevenue.MAX_ACCUMULATOR. */
export const MAX_ACCUMULATOR = 2n ** 96n - 2n;
export { REVENUE_UNLOCK_TIME };
/** RevenueMath.UNIT: the eligible supply is counted in units of 1e9 coin units, rounded up. */
export const UNIT = REVENUE_UNIT;
/** RevenueMath.unlocked: locked · elapsed / (elapsed + REVENUE_UNLOCK_TIME), rounded down. */
export const unlocked = unlockedRevenue;
const accrued = accruedRevenue;

/** The four fields of the packed word, as CreatorCoin.revenueState() returns them. */
export interface RevenueState {
  accumulator: bigint;
  eligibleUnits: bigint;
  updatedAt: bigint;
  locked: bigint;
}

/** What PackedRevenue.unlock would reach: the accumulator before its overflow check. */
export class AccumulatorOverflow extends Error {
  constructor(readonly value: bigint) {
    super(`accumulator would reach ${value}`);
  }
}

/**
 * PackedRevenue.unlock (the indexer's mirror, indexer/lib/math.ts, in this model's field names, with the
 * accumulator's overflow check): `state` brought forward to `timestamp`, and what unlocked while less than
 * MIN_ELIGIBLE_SUPPLY was eligible (`unclaimed`, the market's).
 */
export function unlock(state: RevenueState, timestamp: bigint): { next: RevenueState; unclaimed: bigint } {
  const { state: next, toMarket } = unlockRevenue(
    { revenueAccumulator: state.accumulator, eligibleUnits: state.eligibleUnits, revenueUpdatedAt: state.updatedAt, lockedRevenue: state.locked },
    timestamp,
  );
  if (next.revenueAccumulator > MAX_ACCUMULATOR) throw new AccumulatorOverflow(next.revenueAccumulator);
  return {
    next: { accumulator: next.revenueAccumulator, eligibleUnits: next.eligibleUnits, updatedAt: next.revenueUpdatedAt, locked: next.lockedRevenue },
    unclaimed: toMarket,
  };
}

interface Account {
  balance: bigint;
  /** null: excluded from revenue. */
  snapshot: bigint | null;
  owed: bigint;
}

/**
 * CreatorCoin's revenue bookkeeping, operation by operation, at the timestamps the test pins: the stored state,
 * and each account's balance, snapshot and owed amount. Tests replay on it what they do on chain and compare
 * every view with it.
 */
export class CoinRevenueModel {
  state: RevenueState;
  private readonly accounts = new Map<string, Account>();

  /** The coin right after `initialize` at `launchedAt`: `marketAmount` to `dex`, `creatorAmount` to `escrow`. */
  constructor(
    readonly dex: string,
    readonly escrow: string,
    marketAmount: bigint,
    creatorAmount: bigint,
    launchedAt: bigint,
  ) {
    this.accounts.set(dex, { balance: marketAmount, snapshot: 0n, owed: 0n });
    this.accounts.set(escrow, { balance: creatorAmount, snapshot: 0n, owed: 0n });
    this.state = { accumulator: 0n, eligibleUnits: ceilUnits(marketAmount + creatorAmount), updatedAt: launchedAt, locked: 0n };
  }

  private account(holder: string): Account {
    let account = this.accounts.get(holder);
    if (account === undefined) {
      account = { balance: 0n, snapshot: 0n, owed: 0n };
      this.accounts.set(holder, account);
    }
    return account;
  }

  private static settle(account: Account, accumulator: bigint) {
    if (account.snapshot === null || account.snapshot === accumulator) return;
    account.owed += accrued(account.balance, accumulator, account.snapshot);
    account.snapshot = accumulator;
  }

  private payMarket(amount: bigint) {
    if (amount !== 0n) this.account(this.dex).owed += amount;
  }

  balanceOf(holder: string) {
    return this.account(holder).balance;
  }

  /** depositRevenue, accrueRevenue (a routed deposit) and accrueMarketFees (a sell's holder fee). */
  deposit(amount: bigint, timestamp: bigint) {
    const { next, unclaimed } = unlock(this.state, timestamp);
    this.state = { ...next, locked: next.locked + amount };
    this.payMarket(unclaimed);
  }

  /** syncMarket(holderFee, ·): what the market's coins earned, collected into the DEX's reserve. */
  syncMarket(holderFee: bigint, timestamp: bigint): bigint {
    const { next, unclaimed } = unlock(this.state, timestamp);
    this.state = { ...next, locked: next.locked + holderFee };
    const market = this.account(this.dex);
    CoinRevenueModel.settle(market, next.accumulator);
    const revenue = market.owed + unclaimed;
    market.owed = 0n;
    return revenue;
  }

  /** An ERC-20 transfer (also the DEX's buy and sell legs). */
  transfer(from: string, to: string, value: bigint, timestamp: bigint) {
    if (from === to) return;
    const { next, unclaimed } = unlock(this.state, timestamp);
    const [sender, recipient] = [this.account(from), this.account(to)];
    CoinRevenueModel.settle(sender, next.accumulator);
    CoinRevenueModel.settle(recipient, next.accumulator);
    sender.balance -= value;
    recipient.balance += value;
    const senderExcluded = sender.snapshot === null;
    if (senderExcluded !== (recipient.snapshot === null)) {
      this.state = this.moveEligible(next, value, senderExcluded);
      this.payMarket(unclaimed);
    }
  }

  /** claimRevenue / claimRevenueFor: the amount paid. */
  claim(holder: string, timestamp: bigint): bigint {
    const account = this.account(holder);
    let amount = account.owed;
    let snapshot = account.snapshot;
    if (snapshot !== null) {
      const { accumulator } = unlock(this.state, timestamp).next;
      amount += accrued(account.balance, accumulator, snapshot);
      snapshot = accumulator;
    }
    if (amount !== 0n) {
      account.snapshot = snapshot;
      account.owed = 0n;
    }
    return amount;
  }

  /** setRevenueExcluded. */
  setExcluded(holder: string, excluded: boolean, timestamp: bigint) {
    const account = this.account(holder);
    if ((account.snapshot === null) === excluded) return;
    const { next, unclaimed } = unlock(this.state, timestamp);
    if (excluded) {
      CoinRevenueModel.settle(account, next.accumulator);
      account.snapshot = null;
    } else {
      account.snapshot = next.accumulator;
    }
    this.state = this.moveEligible(next, account.balance, !excluded);
    this.payMarket(unclaimed);
  }

  /** releaseVested of `amount` to `creator`: the coins and what the escrow earned. */
  release(creator: string, amount: bigint, timestamp: bigint) {
    this.transfer(this.escrow, creator, amount, timestamp);
    const escrow = this.account(this.escrow);
    this.account(creator).owed += escrow.owed;
    escrow.owed = 0n;
  }

  /** claimableRevenue as of `timestamp`. */
  claimable(holder: string, timestamp: bigint): bigint {
    const account = this.account(holder);
    if (account.snapshot === null) return account.owed;
    return account.owed + accrued(account.balance, unlock(this.state, timestamp).next.accumulator, account.snapshot);
  }

  /** pendingMarketRevenue as of `timestamp`. */
  pendingMarketRevenue(timestamp: bigint): bigint {
    const { next, unclaimed } = unlock(this.state, timestamp);
    const market = { ...this.account(this.dex) };
    CoinRevenueModel.settle(market, next.accumulator);
    return market.owed + unclaimed;
  }

  /** revenuePerToken as of `timestamp`. */
  revenuePerToken(timestamp: bigint): bigint {
    return unlock(this.state, timestamp).next.accumulator;
  }

  /** undistributedRevenue (still locked) as of `timestamp`. */
  undistributedRevenue(timestamp: bigint): bigint {
    return unlock(this.state, timestamp).next.locked;
  }

  /** eligibleSupply. */
  eligibleSupply(): bigint {
    return this.state.eligibleUnits * UNIT;
  }

  private moveEligible(state: RevenueState, value: bigint, entering: boolean): RevenueState {
    const units = entering ? state.eligibleUnits + ceilUnits(value) : state.eligibleUnits - value / UNIT;
    return { ...state, eligibleUnits: units };
  }
}

/** A coin's stored revenue state (revenueState()) as a RevenueState. */
export async function readRevenueState(coin: { revenueState(): Promise<[bigint, bigint, bigint, bigint]> }): Promise<RevenueState> {
  const [accumulator, eligibleUnits, updatedAt, locked] = await coin.revenueState();
  return { accumulator, eligibleUnits, updatedAt, locked };
}
