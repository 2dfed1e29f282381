/**
 * Asserts that every REST answer of a running indexer equals the chain's state read directly with viem: contract
 * views where the chain keeps the figure (balances, reserves, claimable revenue, play counts), and the chain's own
 * event logs where it keeps only history (volumes, candles, rolling windows).
 */
import { expect } from "chai";
import { decodeFunctionData, zeroAddress, type Address } from "viem";
import { BeatStreamVaultAbi } from "../../indexer/abis/BeatStreamVault.js";
import { CreatorCoinAbi } from "../../indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "../../indexer/abis/CreatorCoinFactory.js";
import { MusicDEXAbi } from "../../indexer/abis/MusicDEX.js";
import { MusicNFTAbi } from "../../indexer/abis/MusicNFT.js";
import type { IndexerProcess } from "./helpers.js";
import type { Scenario } from "./scenario.js";

const lower = (value: string) => value.toLowerCase();
const str = (value: bigint | number) => value.toString();
const HOUR = 3_600n;
const windowStart = (at: bigint, hours: bigint) => at - (at % HOUR) - (hours - 1n) * HOUR;

/** Every page of a cursor-paginated route, walked with a small `limit` so the cursors are exercised. */
async function allPages(indexer: IndexerProcess, path: string, limit: number): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const separator = path.includes("?") ? "&" : "?";
    const { status, body } = await indexer.get(`${path}${separator}limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`);
    expect(status, `${path}: ${JSON.stringify(body)}`).to.equal(200);
    items.push(...body.items);
    cursor = body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error(`${path}: more than 100 pages`);
}

async function ok(indexer: IndexerProcess, path: string): Promise<any> {
  const { status, body } = await indexer.get(path);
  expect(status, `${path}: ${JSON.stringify(body)}`).to.equal(200);
  return body;
}

export async function expectIndexerEqualsChain(indexer: IndexerProcess, scenario: Scenario): Promise<void> {
  const { client, addresses } = scenario;
  const coinAddress = scenario.coin!;
  const head = await client.getBlockNumber();
  const headBlock = await client.getBlock({ blockNumber: head });
  const at = headBlock.timestamp;
  const timestamps = new Map<bigint, bigint>();
  const timeOf = async (blockNumber: bigint) => {
    if (!timestamps.has(blockNumber)) timestamps.set(blockNumber, (await client.getBlock({ blockNumber })).timestamp);
    return timestamps.get(blockNumber)!;
  };
  const nft = { address: addresses.musicNFT, abi: MusicNFTAbi } as const;
  const factory = { address: addresses.factory, abi: CreatorCoinFactoryAbi } as const;
  const dex = { address: addresses.dex, abi: MusicDEXAbi } as const;
  const coin = { address: coinAddress, abi: CreatorCoinAbi } as const;
  const vault = { address: addresses.vault, abi: BeatStreamVaultAbi } as const;
  const range = { fromBlock: 0n, toBlock: head } as const;

  // ------------------------------------------------------------------ tracks
  const totalTracks = await client.readContract({ ...nft, functionName: "totalTracks" });
  const tracks = await allPages(indexer, "/tracks", 2);
  expect(tracks.map((row) => row.id)).to.deep.equal(Array.from({ length: Number(totalTracks) }, (_, index) => str(index + 1)));
  const playCounts = new Map<string, bigint>();
  for (const row of tracks) {
    const id = BigInt(row.id);
    const [creator, owner, uri, [receiver, royalty], plays] = await Promise.all([
      client.readContract({ ...nft, functionName: "creatorOf", args: [id] }),
      client.readContract({ ...nft, functionName: "ownerOf", args: [id] }),
      client.readContract({ ...nft, functionName: "tokenURI", args: [id] }),
      client.readContract({ ...nft, functionName: "royaltyInfo", args: [id, 10_000n] }),
      client.readContract({ ...nft, functionName: "playCount", args: [id] }),
    ]);
    playCounts.set(row.id, plays);
    expect(row).to.include({ creator: lower(creator), owner: lower(owner), uri, royaltyReceiver: lower(receiver), royaltyBps: Number(royalty), plays: str(plays) });
    expect(await ok(indexer, `/tracks/${row.id}`)).to.deep.equal(row);
  }
  const byCreator = await allPages(indexer, `/tracks?creator=${scenario.actors.creatorA.address}`, 10);
  expect(byCreator.map((row) => row.id)).to.deep.equal(tracks.filter((row) => row.creator === lower(scenario.actors.creatorA.address)).map((row) => row.id));

  // Top tracks: `all` from playCount, the windows from the PlaysCommitted logs and their block times.
  const commits = await client.getContractEvents({ ...nft, eventName: "PlaysCommitted", ...range });
  const rank = (plays: Map<string, bigint>) =>
    [...plays].filter(([, count]) => count > 0n).sort(([idA, a], [idB, b]) => (a === b ? Number(BigInt(idA) - BigInt(idB)) : b > a ? 1 : -1));
  const topAll = await allPages(indexer, "/tracks/top?window=all", 2);
  expect(topAll.map((row) => [row.id, row.windowPlays])).to.deep.equal(
    [...playCounts].sort(([idA, a], [idB, b]) => (a === b ? Number(BigInt(idA) - BigInt(idB)) : b > a ? 1 : -1)).map(([id, count]) => [id, str(count)]),
  );
  for (const [window, hours] of [["24h", 24n], ["7d", 168n], ["30d", 720n]] as const) {
    const since = windowStart(at, hours);
    const plays = new Map<string, bigint>();
    for (const log of commits) {
      const time = await timeOf(log.blockNumber);
      if (time - (time % HOUR) < since) continue;
      const { args } = decodeFunctionData({ abi: MusicNFTAbi, data: (await client.getTransaction({ hash: log.transactionHash })).input });
      const deltas = args[3] as `0x${string}`;
      for (let offset = 2; offset < deltas.length; offset += 24) {
        const id = str(BigInt(`0x${deltas.slice(offset, offset + 16)}`));
        plays.set(id, (plays.get(id) ?? 0n) + BigInt(`0x${deltas.slice(offset + 16, offset + 24)}`));
      }
    }
    // The scenario commits a batch a day after the others, so the 24h window must leave the early ones out.
    if (window === "24h") expect(plays.size).to.be.greaterThan(0).and.lessThan([...playCounts.values()].filter((count) => count > 0n).length);
    const top = await allPages(indexer, `/tracks/top?window=${window}&at=${at}`, 2);
    expect(top.map((row) => [row.id, row.windowPlays]), window).to.deep.equal(rank(plays).map(([id, count]) => [id, str(count)]));
  }

  // ------------------------------------------------------------------ batches
  const nextBatchId = await client.readContract({ ...nft, functionName: "nextBatchId" });
  const batches = await allPages(indexer, "/batches", 2);
  expect(batches.map((row) => row.id)).to.deep.equal(Array.from({ length: Number(nextBatchId - 1n) }, (_, index) => str(Number(nextBatchId) - 1 - index)));
  for (const row of batches) {
    const log = commits.find((candidate) => candidate.args.batchId === BigInt(row.id))!;
    const tx = await client.getTransaction({ hash: log.transactionHash });
    const { args } = decodeFunctionData({ abi: MusicNFTAbi, data: tx.input });
    expect(row).to.include({
      root: await client.readContract({ ...nft, functionName: "batchRoot", args: [BigInt(row.id)] }),
      snapshotCid: args[2],
      plays: str(log.args.plays!),
      txHash: log.transactionHash,
      committer: lower(tx.from),
    });
    const detail = await ok(indexer, `/batches/${row.id}?limit=2`);
    const deltas: any[] = [...detail.deltas.items];
    for (let cursor = detail.deltas.nextCursor; cursor !== null; ) {
      const next = await ok(indexer, `/batches/${row.id}?limit=2&cursor=${cursor}`);
      deltas.push(...next.deltas.items);
      cursor = next.deltas.nextCursor;
    }
    const packed = args[3] as `0x${string}`;
    const expected = [];
    for (let offset = 2; offset < packed.length; offset += 24) {
      const trackId = BigInt(`0x${packed.slice(offset, offset + 16)}`);
      expected.push({
        position: expected.length,
        trackId: str(trackId),
        creator: lower(await client.readContract({ ...nft, functionName: "creatorOf", args: [trackId] })),
        plays: str(BigInt(`0x${packed.slice(offset + 16, offset + 24)}`)),
      });
    }
    expect(deltas).to.deep.equal(expected);
    expect(row.tracks).to.equal(expected.length);
  }

  // ------------------------------------------------------------------ creators
  for (const account of [scenario.actors.creatorA, scenario.actors.creatorB]) {
    const creator = await ok(indexer, `/creators/${account.address}`);
    const [plays, metrics, verified, coinOf] = await Promise.all([
      client.readContract({ ...nft, functionName: "creatorPlays", args: [account.address] }),
      client.readContract({ ...factory, functionName: "creatorMetrics", args: [account.address] }),
      client.readContract({ ...factory, functionName: "isVerified", args: [account.address] }),
      client.readContract({ ...factory, functionName: "coinOf", args: [account.address] }),
    ]);
    expect(creator).to.include({
      plays: str(plays),
      reportedPlays: str(metrics.plays),
      followers: str(metrics.followers),
      revenue: str(metrics.revenue),
      verified,
      tracks: tracks.filter((row) => row.creator === lower(account.address)).length,
    });
    expect(creator.latestSnapshotCid).to.equal(metrics.snapshotCid === "" ? null : metrics.snapshotCid);
    expect(creator.coin === null ? zeroAddress : creator.coin.address).to.equal(lower(coinOf));
  }

  // ------------------------------------------------------------------ coin, market, candles
  // Revenue unlocks with time alone: the indexer answers as of its latest block (the head), so the chain is read at
  // that block too.
  const atHead = { blockNumber: head } as const;
  const [market, totalSupply, revenuePerToken, eligibleSupply, undistributed, [accumulator, eligibleUnits, updatedAt, locked], released] = await Promise.all([
    client.readContract({ ...dex, functionName: "market", args: [coinAddress], ...atHead }),
    client.readContract({ ...coin, functionName: "totalSupply", ...atHead }),
    client.readContract({ ...coin, functionName: "revenuePerToken", ...atHead }),
    client.readContract({ ...coin, functionName: "eligibleSupply", ...atHead }),
    client.readContract({ ...coin, functionName: "undistributedRevenue", ...atHead }),
    client.readContract({ ...coin, functionName: "revenueState", ...atHead }),
    client.readContract({ ...coin, functionName: "released", ...atHead }),
  ]);
  // The indexer's price is the last trade's (its reserves); MusicDEX.spotPrice adds the market's revenue since then.
  const spotPrice = ((market.virtualUsdc + market.usdcReserve) * 10n ** 18n) / market.coinReserve;
  const pendingMarketRevenue = await client.readContract({ ...coin, functionName: "pendingMarketRevenue", ...atHead });
  expect(await client.readContract({ ...dex, functionName: "spotPrice", args: [coinAddress], ...atHead })).to.equal(
    ((market.virtualUsdc + market.usdcReserve + pendingMarketRevenue) * 10n ** 18n) / market.coinReserve,
  );
  const swaps = await client.getContractEvents({ ...dex, eventName: "Swapped", ...range });
  const transfers = await client.getContractEvents({ ...coin, eventName: "Transfer", ...range });
  const everHeld = [...new Set(transfers.map((log) => log.args.to!))];
  const balances = new Map<string, bigint>();
  for (const holder of everHeld) balances.set(lower(holder), await client.readContract({ ...coin, functionName: "balanceOf", args: [holder], ...atHead }));
  const holderCount = [...balances].filter(([holder, balance]) => balance > 0n && holder !== lower(coinAddress) && holder !== lower(addresses.dex)).length;
  let volume24h = 0n;
  for (const log of swaps) {
    const time = await timeOf(log.blockNumber);
    if (time - (time % HOUR) >= windowStart(at, 24n)) volume24h += log.args.usdcAmount!;
  }
  const coinBody = await ok(indexer, `/coins/${coinAddress}?at=${at}`);
  expect(coinBody).to.include({
    address: lower(coinAddress),
    creator: lower(scenario.actors.creatorA.address),
    name: await client.readContract({ ...coin, functionName: "name" }),
    symbol: await client.readContract({ ...coin, functionName: "symbol" }),
    totalSupply: str(totalSupply),
    virtualUsdc: str(market.virtualUsdc),
    usdcReserve: str(market.usdcReserve),
    coinReserve: str(market.coinReserve),
    outstanding: str(market.outstanding),
    price: str(spotPrice),
    marketCap: str((spotPrice * totalSupply) / 10n ** 18n),
    volumeUsdc: str(swaps.reduce((sum, log) => sum + log.args.usdcAmount!, 0n)),
    volume24hUsdc: str(volume24h),
    trades: swaps.length,
    holders: holderCount,
    revenuePerToken: str(revenuePerToken),
    eligibleSupply: str(eligibleSupply),
    undistributedRevenue: str(undistributed),
    revenueAccumulator: str(accumulator),
    eligibleUnits: str(eligibleUnits),
    revenueUpdatedAt: str(updatedAt),
    lockedRevenue: str(locked),
    revenueAsOf: str(at),
    vestingReleased: str(released),
  });
  expect(coinBody).to.not.have.property("sellFeePending");
  // Unlocking since the last stored update shows: the views as of the head differ from the stored state.
  expect(revenuePerToken).to.be.greaterThan(accumulator);
  expect(undistributed).to.be.lessThan(locked);
  expect(BigInt(coinBody.creatorFeesAccrued) - BigInt(coinBody.creatorFeesClaimed)).to.equal(market.creatorFees);
  // The DEX pays the market's revenue out of the holder fees it holds first.
  expect(BigInt(coinBody.holderFeesAccrued) - BigInt(coinBody.holderFeesReleased) - BigInt(coinBody.holderFeesToMarket)).to.equal(market.holderFees);
  expect(BigInt(coinBody.holderFeesToMarket)).to.be.greaterThan(0n);
  expect(BigInt(coinBody.marketRevenue)).to.be.greaterThanOrEqual(BigInt(coinBody.holderFeesToMarket));
  const coinList = await allPages(indexer, `/coins?at=${at}`, 1);
  expect(coinList).to.deep.equal([coinBody]);

  const holders = await allPages(indexer, `/coins/${coinAddress}/holders`, 2);
  expect(holders.map((row) => row.holder).sort()).to.deep.equal([...balances].filter(([, balance]) => balance > 0n).map(([holder]) => holder).sort());
  // Non-trivial revenue state: several holders, one excluded, someone with revenue left to claim.
  expect(holders.length).to.be.greaterThanOrEqual(5);
  expect(holders.some((row) => row.excluded && row.holder === lower(scenario.actors.fan3.address))).to.equal(true);
  expect(holders.some((row) => BigInt(row.claimableRevenue) > 0n)).to.equal(true);
  for (const row of holders) {
    expect(row.balance).to.equal(str(balances.get(row.holder)!));
    expect(row.claimableRevenue, row.holder).to.equal(str(await client.readContract({ ...coin, functionName: "claimableRevenue", args: [row.holder], ...atHead })));
    expect(row.excluded).to.equal(await client.readContract({ ...coin, functionName: "isRevenueExcluded", args: [row.holder], ...atHead }));
  }

  for (const [interval, seconds] of [["1m", 60n], ["1h", 3_600n], ["1d", 86_400n]] as const) {
    const expected = new Map<bigint, any>();
    for (const log of swaps) {
      const time = await timeOf(log.blockNumber);
      const bucket = time - (time % seconds);
      const price = ((market.virtualUsdc + log.args.usdcReserve!) * 10n ** 18n) / log.args.coinReserve!;
      const candle = expected.get(bucket);
      if (candle === undefined) {
        expected.set(bucket, { time: bucket, open: price, high: price, low: price, close: price, volumeUsdc: log.args.usdcAmount!, volumeCoin: log.args.coinAmount!, trades: 1 });
      } else {
        candle.high = price > candle.high ? price : candle.high;
        candle.low = price < candle.low ? price : candle.low;
        candle.close = price;
        candle.volumeUsdc += log.args.usdcAmount!;
        candle.volumeCoin += log.args.coinAmount!;
        candle.trades += 1;
      }
    }
    if (interval !== "1m") expect(expected.size, `${interval} buckets`).to.be.greaterThanOrEqual(2);
    const candles = await allPages(indexer, `/coins/${coinAddress}/candles?interval=${interval}`, 1);
    expect(candles.map(({ time, open, high, low, close, volumeUsdc, volumeCoin, trades }) => ({ time, open, high, low, close, volumeUsdc, volumeCoin, trades })), interval).to.deep.equal(
      [...expected.values()].map((candle) => ({ ...candle, time: str(candle.time), open: str(candle.open), high: str(candle.high), low: str(candle.low), close: str(candle.close), volumeUsdc: str(candle.volumeUsdc), volumeCoin: str(candle.volumeCoin) })),
    );
    const first = [...expected.keys()][0]!;
    const bounded = await ok(indexer, `/coins/${coinAddress}/candles?interval=${interval}&from=${first}&to=${first}`);
    expect(bounded.items.map((candle: any) => candle.time)).to.deep.equal([str(first)]);
  }

  // ------------------------------------------------------------------ holders' and artists' earnings, vault
  for (const account of [scenario.actors.fan1, scenario.actors.fan2, scenario.actors.fan3]) {
    const earnings = await ok(indexer, `/holders/${account.address}/earnings`);
    const claimable = await client.readContract({ ...coin, functionName: "claimableRevenue", args: [account.address], ...atHead });
    const claims = await client.getContractEvents({ ...coin, eventName: "RevenueClaimed", args: { holder: account.address }, ...range });
    const claimed = claims.reduce((sum, log) => sum + log.args.amount!, 0n);
    expect(earnings.items).to.deep.equal([
      { coin: lower(coinAddress), symbol: "ALP", balance: str(balances.get(lower(account.address))!), claimable: str(claimable), claimed: str(claimed), earned: str(claimable + claimed) },
    ]);
  }
  for (const account of [scenario.actors.creatorA, scenario.actors.creatorB]) {
    const earnings = await ok(indexer, `/artists/${account.address}/earnings`);
    const withdrawn = (await client.getContractEvents({ ...vault, eventName: "EarningsWithdrawn", args: { artist: account.address }, ...range })).reduce((sum, log) => sum + log.args.amount!, 0n);
    const balance = await client.readContract({ ...vault, functionName: "earningsOf", args: [account.address] });
    expect(earnings.vault).to.deep.equal({ balance: str(balance), earned: str(balance + withdrawn), withdrawn: str(withdrawn) });
    const launched = account.address === scenario.actors.creatorA.address;
    expect(earnings.coins.map((row: any) => row.coin)).to.deep.equal(launched ? [lower(coinAddress)] : []);
    if (launched) expect(earnings.coins[0]).to.include({ creatorFeesUnclaimed: str(market.creatorFees), vestingReleased: str(released) });
  }
  const deposits = await client.getContractEvents({ ...vault, eventName: "Deposited", ...range });
  for (const account of [scenario.actors.listener1, scenario.actors.listener2, scenario.actors.fan1]) {
    const body = await ok(indexer, `/listeners/${account.address}`);
    const [balance, pending] = await Promise.all([
      client.readContract({ ...vault, functionName: "balanceOf", args: [account.address] }),
      client.readContract({ ...vault, functionName: "pendingWithdrawal", args: [account.address] }),
    ]);
    expect(body).to.include({
      address: lower(account.address),
      balance: str(balance),
      deposited: str(deposits.filter((log) => log.args.listener === account.address).reduce((sum, log) => sum + log.args.amount!, 0n)),
      pendingWithdrawal: str(pending.amount),
      withdrawalAvailableAt: str(pending.availableAt),
    });
  }

  // ------------------------------------------------------------------ platform
  const stats = await ok(indexer, `/stats?at=${at}`);
  const settled = await client.getContractEvents({ ...vault, eventName: "StreamSettled", ...range });
  const revenue = await client.getContractEvents({ ...coin, eventName: "RevenueDeposited", ...range });
  const [totalPlays, treasury, treasuryFees, defaultVirtualUsdc, launchThreshold, coinSupply, dexPaused, vaultPaused] = await Promise.all([
    client.readContract({ ...nft, functionName: "totalPlays" }),
    client.readContract({ ...dex, functionName: "treasury" }),
    client.readContract({ ...dex, functionName: "treasuryFees" }),
    client.readContract({ ...dex, functionName: "defaultVirtualUsdc" }),
    client.readContract({ ...factory, functionName: "launchThreshold" }),
    client.readContract({ ...factory, functionName: "coinSupply" }),
    client.readContract({ ...dex, functionName: "paused" }),
    client.readContract({ ...vault, functionName: "paused" }),
  ]);
  let plays24h = 0n;
  for (const log of commits) {
    const time = await timeOf(log.blockNumber);
    if (time - (time % HOUR) >= windowStart(at, 24n)) plays24h += log.args.plays!;
  }
  expect(stats).to.include({
    tracks: Number(totalTracks),
    plays: str(totalPlays),
    batches: Number(nextBatchId - 1n),
    coins: 1,
    trades: swaps.length,
    volumeUsdc: coinBody.volumeUsdc,
    treasury: lower(treasury),
    defaultVirtualUsdc: str(defaultVirtualUsdc),
    launchThreshold: str(launchThreshold),
    coinSupply: str(coinSupply),
    listeners: new Set(deposits.map((log) => log.args.listener)).size,
    vaultDeposited: str(deposits.reduce((sum, log) => sum + log.args.amount!, 0n)),
    vaultSettled: str(settled.reduce((sum, log) => sum + log.args.amount!, 0n)),
    revenueDeposited: str(revenue.reduce((sum, log) => sum + log.args.amount!, 0n)),
    creators: 2,
    dexPaused,
    vaultPaused,
  });
  expect(BigInt(stats.treasuryFeesAccrued) - BigInt(stats.treasuryFeesClaimed)).to.equal(treasuryFees);
  expect(stats.last24h).to.deep.equal({ plays: str(plays24h), trades: str(swaps.filter((log) => timestamps.get(log.blockNumber)! - (timestamps.get(log.blockNumber)! % HOUR) >= windowStart(at, 24n)).length), volumeUsdc: str(volume24h) });
}
