import { ponder } from "ponder:registry";
import { coin } from "ponder:schema";
import { moveEligible, settleHolder, unlockRevenue } from "../lib/math.js";
import { loadHolder, payMarket, saveHolder } from "./lib/holders.js";

// CoinRegistered is not handled: the factory registers each coin inside launchCoin, and CreatorCoinLaunched
// (same transaction) creates the coin. A coin registered by another registrar is not a factory clone, so its own
// events are outside this indexer anyway.

// RevenueDistributor.setExcluded → CreatorCoin.setRevenueExcluded; the distributor emits the event, also when the
// account's status does not change (the coin's no-op, which stores nothing). A change stores the state unlocked to
// now with the account's balance moved into or out of the eligible supply.
ponder.on("RevenueDistributor:RevenueExclusionSet", async ({ event, context }) => {
  const { coin: coinAddress, account, excluded } = event.args;
  const state = await context.db.find(coin, { address: coinAddress });
  if (state === null) throw new Error(`RevenueExclusionSet for unknown coin ${coinAddress}`);
  const row = await loadHolder(context.db, coinAddress, account);
  if (row.excluded === excluded) return;
  const { state: current, toMarket } = unlockRevenue(state, event.block.timestamp);
  const accumulator = current.revenueAccumulator;
  await saveHolder(context.db, excluded ? { ...settleHolder(row, accumulator), excluded: true } : { ...row, excluded: false, revenueSnapshot: accumulator });
  await context.db.update(coin, { address: coinAddress }).set(moveEligible(current, row.balance, !excluded));
  // The DEX cannot be excluded (CreatorCoinFixedExclusion), so its credit is never overwritten here.
  await payMarket(context.db, coinAddress, context.contracts.MusicDEX.address, toMarket);
});
