/**
 * TypeScript mirrors of RevenueMath and PackedRevenue, and of CreatorCoin's revenue bookkeeping built on them,
 * so that tests can state exact expected values. Written from the formulas in the libraries' NatSpec with the
 * same integer roundings: every division rounds down except `distributed`, which rounds up.
 */

/** RevenueMath.PRECISION: scale of the accumulator. */
export const PRECISION = 10n ** 27n;
/** RevenueMath.UNIT: the eligible supply is counted in units of 1e9 coin units, rounded up. */
export const UNIT = 10n ** 9n;
/** RevenueMath.UNIT_PRECISION. */
export const UNIT_PRECISION = PRECISION / UNIT;
/** CreatorCoin.REVENUE_UNLOCK_TIME: 7 days. */
export const REVENUE_UNLOCK_TIME = 7n * 24n * 60n * 60n;
/** CreatorCoin.MIN_ELIGIBLE_SUPPLY: one whole coin. */
export const MIN_ELIGIBLE_SUPPLY = 10n ** 18n;
/** PackedRevenue.MAX_ACCUMULATOR. */
export const MAX_ACCUMULATOR = 2n ** 96n - 2n;

/** RevenueMath.unlocked: locked · elapsed / (elapsed + unlockTime), rounded down. */
export const unlocked = (locked: bigint, elapsed: bigint, unlockTime = REVENUE_UNLOCK_TIME) =>
  (locked * elapsed) / (elapsed + unlockTime);
/** RevenueMath.perTokenIncrease. */
export const perTokenIncrease = (amount: bigint, eligibleUnits: bigint) => (amount * UNIT_PRECISION) / eligibleUnits;
/** RevenueMath.distributed (rounded up). */
export const distributed = (increase: bigint, eligibleUnits: bigint) =>
  (increase * eligibleUnits + UNIT_PRECISION - 1n) / UNIT_PRECISION;
/** RevenueMath.accrued. */
export const accrued = (balance: bigint, accumulator: bigint, snapshot: bigint) =>
  (balance * (accumulator - snapshot)) / PRECISION;
/** `value` coin units in UNITs, rounded up (CreatorCoin._ceilUnits). */
export const ceilUnits = (value: bigint) => (value + UNIT - 1n) / UNIT;

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
 * PackedRevenue.unlock: `state` brought forward to `timestamp`, and what unlocked while less than
 * MIN_ELIGIBLE_SUPPLY was eligible (`unclaimed`, the market's).
 */
export function unlock(state: RevenueState, timestamp: bigint): { next: RevenueState; unclaimed: bigint } {
  let amount = unlocked(state.locked, timestamp - state.updatedAt);
  // The clock always moves, also when nothing unlocked.
  if (amount === 0n) return { next: { ...state, updatedAt: timestamp }, unclaimed: 0n };
  let accumulator = state.accumulator;
  let unclaimed = 0n;
  if (state.eligibleUnits < MIN_ELIGIBLE_SUPPLY / UNIT) {
    unclaimed = amount;
  } else {
    const increase = perTokenIncrease(amount, state.eligibleUnits);
    if (increase === 0n) return { next: { ...state, updatedAt: timestamp }, unclaimed: 0n };
    accumulator += increase;
    if (accumulator > MAX_ACCUMULATOR) throw new AccumulatorOverflow(accumulator);
    amount = distributed(increase, state.eligibleUnits);
  }
  return {
    next: { accumulator, eligibleUnits: state.eligibleUnits, updatedAt: timestamp, locked: state.locked - amount },
    unclaimed,
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
