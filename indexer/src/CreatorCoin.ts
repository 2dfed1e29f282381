/**
 * Coin balances, holders and revenue. The handlers replay CreatorCoin's own accounting (accumulator per coin,
 * snapshot and owed per holder, eligible supply) in log order, so claimable revenue equals
 * CreatorCoin.claimableRevenue at every block without a single contract read.
 */
import { ponder } from "ponder:registry";
import { coin, revenueClaim, revenueDeposit } from "ponder:schema";
import { zeroAddress } from "viem";
import { accrueRevenue, settleHolder } from "../lib/math.js";
import { changeHolder } from "./lib/holders.js";

/** The market (MusicDEX) and the vesting escrow (the coin itself) hold coins for others: not counted as holders. */
function countsAsHolder(address: `0x${string}`, coinAddress: `0x${string}`, dex: `0x${string}`): boolean {
  const lower = address.toLowerCase();
  return lower !== coinAddress.toLowerCase() && lower !== dex.toLowerCase();
}

ponder.on("CreatorCoin:Transfer", async ({ event, context }) => {
  const coinAddress = event.log.address;
  const { from, to, value } = event.args;
  if (from === zeroAddress) {
    // Only initialize() mints, to the DEX and to the coin itself: both start excluded from revenue, and the
    // coin row does not exist yet (CreatorCoinLaunched comes later in the same transaction).
    await changeHolder({ db: context.db, coin: coinAddress, holder: to, change: (row) => ({ ...row, balance: row.balance + value, excluded: true }) });
    return;
  }
  if (from === to) return; // CreatorCoin._update moves nothing
  const state = await context.db.find(coin, { address: coinAddress });
  if (state === null) throw new Error(`Transfer of unknown coin ${coinAddress}`);
  const accumulator = state.revenuePerToken;
  const { before: sender } = await changeHolder({
    db: context.db,
    coin: coinAddress,
    holder: from,
    change: (row) => {
      const settled = settleHolder(row, accumulator);
      return { ...settled, balance: settled.balance - value };
    },
  });
  const { before: recipient } = await changeHolder({
    db: context.db,
    coin: coinAddress,
    holder: to,
    change: (row) => {
      const settled = settleHolder(row, accumulator);
      return { ...settled, balance: settled.balance + value };
    },
  });
  const dex = context.contracts.MusicDEX.address;
  let holders = state.holders;
  if (countsAsHolder(from, coinAddress, dex) && sender.balance === value && value > 0n) holders -= 1;
  if (countsAsHolder(to, coinAddress, dex) && recipient.balance === 0n && value > 0n) holders += 1;
  let eligibleSupply = state.eligibleSupply;
  if (sender.excluded !== recipient.excluded) eligibleSupply += sender.excluded ? value : -value;
  if (holders !== state.holders || eligibleSupply !== state.eligibleSupply) {
    await context.db.update(coin, { address: coinAddress }).set({ holders, eligibleSupply });
  }
});

ponder.on("CreatorCoin:RevenueDeposited", async ({ event, context }) => {
  const coinAddress = event.log.address;
  const { from, amount } = event.args;
  const row = await context.db.update(coin, { address: coinAddress }).set((current) => ({
    ...accrueRevenue(current, amount),
    revenueDeposited: current.revenueDeposited + amount,
  }));
  await context.db.insert(revenueDeposit).values({
    id: event.id,
    coin: coinAddress,
    from,
    amount,
    revenuePerToken: row.revenuePerToken,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

ponder.on("CreatorCoin:RevenueClaimed", async ({ event, context }) => {
  const coinAddress = event.log.address;
  const { holder, amount } = event.args;
  const state = await context.db.update(coin, { address: coinAddress }).set((current) => ({ revenueClaimed: current.revenueClaimed + amount }));
  // _claim settles the holder and zeroes what it is owed, which is exactly `amount`.
  await changeHolder({
    db: context.db,
    coin: coinAddress,
    holder,
    change: (row) => ({ ...settleHolder(row, state.revenuePerToken), owed: 0n, claimed: row.claimed + amount }),
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

ponder.on("CreatorCoin:VestingReleased", async ({ event, context }) => {
  const { amount } = event.args;
  await context.db.update(coin, { address: event.log.address }).set((row) => ({ vestingReleased: row.vestingReleased + amount }));
});

