import { ponder } from "ponder:registry";
import { coin } from "ponder:schema";
import { launchRevenue, marketCap } from "../lib/math.js";
import { changeCreator, updatePlatform } from "./lib/platform.js";

// In launchCoin the market opens (MusicDEX:MarketOpened) before this event, so the coin row may exist already.
ponder.on("CreatorCoinFactory:CreatorCoinLaunched", async ({ event, context }) => {
  const { creator: creatorAddress, coin: coinAddress, name, symbol, totalSupply, creatorAllocation, vestingDuration } = event.args;
  // initialize() made the whole supply eligible, with the unlock clock at launch (this block).
  const launch = { name, symbol, totalSupply, creatorAllocation, vestingDuration: BigInt(vestingDuration), ...launchRevenue(totalSupply, event.block.timestamp) };
  await context.db
    .insert(coin)
    .values({ address: coinAddress, creator: creatorAddress, launchedAt: event.block.timestamp, launchedBlock: event.block.number, ...launch })
    .onConflictDoUpdate((row) => ({ ...launch, marketCap: marketCap({ price: row.price, totalSupply }) }));
  const { created } = await changeCreator({ db: context.db, address: creatorAddress, timestamp: event.block.timestamp, change: () => ({ coin: coinAddress }) });
  await updatePlatform(context.db, (p) => ({ coins: p.coins + 1, creators: p.creators + (created ? 1 : 0) }));
});

ponder.on("CreatorCoinFactory:LaunchParametersUpdated", async ({ event, context }) => {
  const { launchThreshold, coinSupply, creatorAllocationBps, vestingDuration } = event.args;
  await updatePlatform(context.db, () => ({ launchThreshold, coinSupply, creatorAllocationBps, vestingDuration }));
});

ponder.on("CreatorCoinFactory:CreatorMetricsUpdated", async ({ event, context }) => {
  const { creator: address, plays, followers, revenue, snapshotCid } = event.args;
  const { created } = await changeCreator({
    db: context.db,
    address,
    timestamp: event.block.timestamp,
    change: () => ({ reportedPlays: plays, followers, revenue, latestSnapshotCid: snapshotCid, metricsUpdatedAt: event.block.timestamp }),
  });
  if (created) await updatePlatform(context.db, (p) => ({ creators: p.creators + 1 }));
});

ponder.on("CreatorCoinFactory:CreatorVerified", async ({ event, context }) => {
  const { creator: address, verified } = event.args;
  const { created } = await changeCreator({ db: context.db, address, timestamp: event.block.timestamp, change: () => ({ verified }) });
  if (created) await updatePlatform(context.db, (p) => ({ creators: p.creators + 1 }));
});
