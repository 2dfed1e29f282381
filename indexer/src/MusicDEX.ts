import { ponder, type Context } from "ponder:registry";
import { candle, coin, trade } from "ponder:schema";
import { bucketStart, CANDLE_INTERVALS, marketCap, spotPrice, splitFee, unlockRevenue } from "../lib/math.js";
import { collectMarketRevenue } from "./lib/holders.js";
import { updatePlatform } from "./lib/platform.js";

// Opened inside launchCoin, before CreatorCoinLaunched: create the coin row with what the market knows.
ponder.on("MusicDEX:MarketOpened", async ({ event, context }) => {
  const { coin: address, creator, coinReserve, virtualUsdc } = event.args;
  const market = { virtualUsdc, coinReserve, usdcReserve: 0n, price: spotPrice({ virtualUsdc, usdcReserve: 0n, coinReserve }) };
  await context.db
    .insert(coin)
    .values({ address, creator, launchedAt: event.block.timestamp, launchedBlock: event.block.number, ...market })
    .onConflictDoUpdate((row) => ({ ...market, marketCap: marketCap({ price: market.price, totalSupply: row.totalSupply }) }));
});

type CoinRow = typeof coin.$inferSelect;

/** A sell's syncMarket (it emits nothing): the coin row's fields it changes, the DEX's account collected. */
async function sellSync(db: Context["db"], row: CoinRow, dex: `0x${string}`, timestamp: bigint) {
  const { state, toMarket } = unlockRevenue(row, timestamp);
  const market = await collectMarketRevenue(db, row.address, dex, { accumulator: state.revenueAccumulator, toMarket, fees: row });
  return { ...state, ...market, sellFeePending: true };
}

/**
 * A trade. A buy's syncMarket was replayed at its RevenueDeposited (emitted before this event); a sell's emits
 * nothing, so it is replayed here: the state unlocked to now and stored, the market's revenue collected into the
 * reserve this event carries. Nothing touches the coin's revenue between that sync and this event.
 */
ponder.on("MusicDEX:Swapped", async ({ event, context }) => {
  const { coin: address, trader, recipient, isBuy, usdcAmount, coinAmount, fee, usdcReserve, coinReserve } = event.args;
  const { creatorFee, holderFee } = splitFee(fee);
  const timestamp = event.block.timestamp;
  /** The coin row's market fields after this trade, from the row before it. */
  const traded = (row: CoinRow) => {
    const price = spotPrice({ virtualUsdc: row.virtualUsdc, usdcReserve, coinReserve });
    return {
      usdcReserve,
      coinReserve,
      outstanding: isBuy ? row.outstanding + coinAmount : row.outstanding - coinAmount,
      price,
      marketCap: marketCap({ price, totalSupply: row.totalSupply }),
      volumeUsdc: row.volumeUsdc + usdcAmount,
      trades: row.trades + 1,
      lastTradeAt: timestamp,
      feesTotal: row.feesTotal + fee,
      creatorFeesAccrued: row.creatorFeesAccrued + creatorFee,
      holderFeesAccrued: row.holderFeesAccrued + holderFee,
    };
  };
  let after: CoinRow;
  if (isBuy) {
    // Nothing to replay: the row is read and written in one store operation.
    after = await context.db.update(coin, { address }).set(traded);
  } else {
    const row = await context.db.find(coin, { address });
    if (row === null) throw new Error(`Swapped on unknown coin ${address}`);
    const sync = await sellSync(context.db, row, event.log.address, timestamp);
    after = await context.db.update(coin, { address }).set({ ...sync, ...traded(row) });
  }
  const { price: tradePrice } = after;
  await context.db.insert(trade).values({
    id: event.id,
    coin: address,
    trader,
    recipient,
    isBuy,
    usdcAmount,
    coinAmount,
    fee,
    usdcReserve,
    coinReserve,
    price: tradePrice,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    timestamp,
    txHash: event.transaction.hash,
  });
  await context.db
    .insert(candle)
    .values({
      coin: address,
      time: bucketStart(timestamp, CANDLE_INTERVALS["1m"]),
      open: tradePrice,
      high: tradePrice,
      low: tradePrice,
      close: tradePrice,
      volumeUsdc: usdcAmount,
      volumeCoin: coinAmount,
      trades: 1,
    })
    .onConflictDoUpdate((current) => ({
      high: tradePrice > current.high ? tradePrice : current.high,
      low: tradePrice < current.low ? tradePrice : current.low,
      close: tradePrice,
      volumeUsdc: current.volumeUsdc + usdcAmount,
      volumeCoin: current.volumeCoin + coinAmount,
      trades: current.trades + 1,
    }));
});

ponder.on("MusicDEX:CreatorFeesClaimed", async ({ event, context }) => {
  const { coin: address, amount } = event.args;
  await context.db.update(coin, { address }).set((row) => ({ creatorFeesClaimed: row.creatorFeesClaimed + amount }));
});

// releaseVested: coins of the creator's allocation entered circulation, so sells may bring them back.
ponder.on("MusicDEX:CreatorCoinsReleased", async ({ event, context }) => {
  const { coin: address, outstanding } = event.args;
  await context.db.update(coin, { address }).set({ outstanding });
});

ponder.on("MusicDEX:HolderFeesReleased", async ({ event, context }) => {
  const { coin: address, amount } = event.args;
  await context.db.update(coin, { address }).set((row) => ({ holderFeesReleased: row.holderFeesReleased + amount }));
});

ponder.on("MusicDEX:TreasuryFeesClaimed", async ({ event, context }) => {
  const { amount } = event.args;
  await updatePlatform(context.db, (p) => ({ treasuryFeesClaimed: p.treasuryFeesClaimed + amount }));
});

ponder.on("MusicDEX:TreasuryUpdated", async ({ event, context }) => {
  await updatePlatform(context.db, () => ({ treasury: event.args.newTreasury }));
});

ponder.on("MusicDEX:DefaultVirtualUsdcUpdated", async ({ event, context }) => {
  await updatePlatform(context.db, () => ({ defaultVirtualUsdc: event.args.newVirtualUsdc }));
});

ponder.on("MusicDEX:Paused", async ({ context }) => {
  await updatePlatform(context.db, () => ({ dexPaused: true }));
});

ponder.on("MusicDEX:Unpaused", async ({ context }) => {
  await updatePlatform(context.db, () => ({ dexPaused: false }));
});
