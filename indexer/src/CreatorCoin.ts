/**
 * Coin balances, holders and revenue. The handlers replay CreatorCoin's own accounting in log order: the packed
 * revenue state per coin (accumulator, eligible units, unlock clock, locked revenue), snapshot and owed per holder.
 * Unlocking is not path-independent, so the state is stored exactly where the contract stores it (deposits and
 * trade fees, exclusion changes, transfers that cross eligibility) and only brought forward on a copy elsewhere
 * (other transfers, claims). Claimable revenue then equals CreatorCoin.claimableRevenue without a contract read.
 */
import { ponder } from "ponder:registry";
import { coin, revenueClaim, revenueDeposit } from "ponder:schema";
import { zeroAddress } from "viem";
import { lockRevenue, moveEligible, settleHolder, unlockRevenue } from "../lib/math.js";
import { changeHolder, changeHolders, collectMarketRevenue, payMarket } from "./lib/holders.js";

const same = (a: `0x${string}`, b: `0x${string}`) => a.toLowerCase() === b.toLowerCase();

/** The market (MusicDEX) and the vesting escrow (the coin itself) hold coins for others: not counted as holders. */
function countsAsHolder(address: `0x${string}`, coinAddress: `0x${string}`, dex: `0x${string}`): boolean {
  return !same(address, coinAddress) && !same(address, dex);
}

ponder.on("CreatorCoin:Transfer", async ({ event, context }) => {
  const coinAddress = event.log.address;
  const { from, to, value } = event.args;
  if (from === zeroAddress) {
    // Only initialize() mints, to the DEX and to the coin itself, both earning from launch (snapshot 0, not
    // excluded); the coin row does not exist yet (CreatorCoinLaunched, later in the same transaction, sets its
    // revenue state).
    await changeHolder({ db: context.db, coin: coinAddress, holder: to, change: (row) => ({ ...row, balance: row.balance + value }) });
    return;
  }
  if (same(from, to)) return; // CreatorCoin._update moves nothing
  const state = await context.db.find(coin, { address: coinAddress });
  if (state === null) throw new Error(`Transfer of unknown coin ${coinAddress}`);
  // Brought forward on a copy: stored below only if the eligible supply changes.
  const { state: current, toMarket } = unlockRevenue(state, event.block.timestamp);
  const accumulator = current.revenueAccumulator;
  const [{ before: sender }, { before: recipient }] = await changeHolders({
    db: context.db,
    coin: coinAddress,
    changes: [
      {
        holder: from,
        change: (row) => {
          const settled = settleHolder(row, accumulator);
          return { ...settled, balance: settled.balance - value };
        },
      },
      {
        holder: to,
        change: (row) => {
          const settled = settleHolder(row, accumulator);
          return { ...settled, balance: settled.balance + value };
        },
      },
    ],
  });
  const dex = context.contracts.MusicDEX.address;
  let holders = state.holders;
  if (countsAsHolder(from, coinAddress, dex) && sender.balance === value && value > 0n) holders -= 1;
  if (countsAsHolder(to, coinAddress, dex) && recipient.balance === 0n && value > 0n) holders += 1;
  if (sender.excluded !== recipient.excluded) {
    // Eligibility crossed (even for a zero value): the contract stores the brought-forward state.
    await context.db.update(coin, { address: coinAddress }).set({ ...moveEligible(current, value, sender.excluded), holders });
    // _payMarket credits the DEX after both accounts are written, so it holds when the DEX is a party too.
    await payMarket(context.db, coinAddress, dex, toMarket);
  } else if (holders !== state.holders) {
    await context.db.update(coin, { address: coinAddress }).set({ holders });
  }
});

/**
 * Every deposit, routed deposit and trade holder fee: the state is unlocked to now, stored, and the amount locked.
 * From the DEX it is a trade's: a buy's comes from syncMarket, which also collects the market's revenue; a sell's
 * syncMarket emits nothing and was replayed at its Swapped (sellFeePending), so its fee is a plain accrual.
 */
ponder.on("CreatorCoin:RevenueDeposited", async ({ event, context }) => {
  const coinAddress = event.log.address;
  const { from, amount } = event.args;
  const dex = context.contracts.MusicDEX.address;
  const current = await context.db.find(coin, { address: coinAddress });
  if (current === null) throw new Error(`RevenueDeposited on unknown coin ${coinAddress}`);
  const { state, toMarket } = unlockRevenue(current, event.block.timestamp);
  // A buy's sync pays what unlocked to the market straight into the reserve, with what the market's coins earned
  // (a buy always has a holder fee: CurveMath's fee rounds up, the holders' part of it is the largest).
  const buySync = same(from, dex) && !current.sellFeePending;
  const market = buySync ? await collectMarketRevenue(context.db, coinAddress, dex, { accumulator: state.revenueAccumulator, toMarket, fees: current }) : {};
  if (!buySync) await payMarket(context.db, coinAddress, dex, toMarket);
  const row = await context.db
    .update(coin, { address: coinAddress })
    .set({ ...lockRevenue(state, amount), ...market, sellFeePending: false, revenueDeposited: current.revenueDeposited + amount });
  await context.db.insert(revenueDeposit).values({
    id: event.id,
    coin: coinAddress,
    from,
    amount,
    revenuePerToken: row.revenueAccumulator,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

ponder.on("CreatorCoin:RevenueClaimed", async ({ event, context }) => {
  const coinAddress = event.log.address;
  const { holder, amount } = event.args;
  const state = await context.db.update(coin, { address: coinAddress }).set((current) => ({ revenueClaimed: current.revenueClaimed + amount }));
  // _claim settles the holder against the state brought forward on a copy (nothing stored) and zeroes what it is
  // owed, which is exactly `amount`.
  const { revenueAccumulator } = unlockRevenue(state, event.block.timestamp).state;
  await changeHolder({
    db: context.db,
    coin: coinAddress,
    holder,
    change: (row) => ({ ...settleHolder(row, revenueAccumulator), owed: 0n, claimed: row.claimed + amount }),
  });
  await context.db.insert(revenueClaim).values({
    id: event.id,
    coin: coinAddress,
    holder,
    amount,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

/**
 * releaseVested: the escrow → creator Transfer (already replayed) settled the escrow; what it earned then moves to
 * the creator's owed. Nothing touches the coin's revenue between that and this event.
 */
ponder.on("CreatorCoin:VestingReleased", async ({ event, context }) => {
  const coinAddress = event.log.address;
  const { creator, amount } = event.args;
  await context.db.update(coin, { address: coinAddress }).set((row) => ({ vestingReleased: row.vestingReleased + amount }));
  const { before: escrow } = await changeHolder({ db: context.db, coin: coinAddress, holder: coinAddress, change: (row) => ({ ...row, owed: 0n }) });
  if (escrow.owed !== 0n) {
    await changeHolder({ db: context.db, coin: coinAddress, holder: creator, change: (row) => ({ ...row, owed: row.owed + escrow.owed }) });
  }
});
