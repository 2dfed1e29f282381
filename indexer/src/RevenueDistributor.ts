import { ponder } from "ponder:registry";
import { coin } from "ponder:schema";
import { settleHolder } from "../lib/math.js";
import { loadHolder, saveHolder } from "./lib/holders.js";

// CoinRegistered is not handled: the factory registers each coin inside launchCoin, and CreatorCoinLaunched
// (same transaction) creates the coin. A coin registered by another registrar is not a factory clone, so its own
// events are outside this indexer anyway.

// RevenueDistributor.setExcluded → CreatorCoin.setRevenueExcluded; the distributor emits the event.
ponder.on("RevenueDistributor:RevenueExclusionSet", async ({ event, context }) => {
  const { coin: coinAddress, account, excluded } = event.args;
  const state = await context.db.find(coin, { address: coinAddress });
  if (state === null) throw new Error(`RevenueExclusionSet for unknown coin ${coinAddress}`);
  const row = await loadHolder(context.db, coinAddress, account);
  if (row.excluded === excluded) return; // the coin's no-op
  if (excluded) {
    const settled = settleHolder(row, state.revenuePerToken);
    await saveHolder(context.db, { ...settled, excluded: true });
    await context.db.update(coin, { address: coinAddress }).set({ eligibleSupply: state.eligibleSupply - row.balance });
  } else {
    await saveHolder(context.db, { ...row, excluded: false, revenueSnapshot: state.revenuePerToken });
    await context.db.update(coin, { address: coinAddress }).set({ eligibleSupply: state.eligibleSupply + row.balance });
  }
});
