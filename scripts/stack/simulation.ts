/**
 * A living protocol on a running local stack, with real signatures and real transactions: listeners sign plays
 * (some shorter than 20 s, which the relayer rejects) and engage with what they hear — how each play ended, likes,
 * saves, shares, downloads, follows, playlists, comments (habits.ts) — all through the client SDK, creators mint tracks and launch coins once their committed
 * plays cross the launch threshold, fans buy, sell and claim revenue on the DEX, creators deposit revenue, and
 * some listeners pay per second through the vault with the relayer's streaming client. Every actor is a loop of
 * its own (one account, one nonce sequence), all running until the deadline; then the relayer is flushed so every
 * accepted play and every voucher reaches the chain, and the indexer is awaited at the chain's head.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  erc20Abi,
  http,
  maxUint256,
  parseEventLogs,
  zeroAddress,
  type Address,
} from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { BeatStreamVaultAbi } from "../../indexer/abis/BeatStreamVault.js";
import { CreatorCoinAbi } from "../../indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "../../indexer/abis/CreatorCoinFactory.js";
import { MockUSDCAbi } from "../../indexer/abis/MockUSDC.js";
import { MusicDEXAbi } from "../../indexer/abis/MusicDEX.js";
import { MusicNFTAbi } from "../../indexer/abis/MusicNFT.js";
import { RevenueDistributorAbi } from "../../indexer/abis/RevenueDistributor.js";
import { createBeatStreamClient, type BeatStreamClient } from "../../client/index.js";
import { createStreamClient } from "../../relayer/src/stream/client.js";
import { createListenerHabits, emptyTally, type EngagementTally } from "./habits.js";
import { createSender } from "./send.js";

/** Hardhat's test mnemonic: its accounts hold ETH on the local chain (public keys, local use only). */
const MNEMONIC = "test test test test test test test test test test test junk";
const USDC = (amount: number) => BigInt(Math.round(amount * 1e6));
/** Creators (accounts #2–#4), fans (#5–#9), streaming listeners (#10–#13); #0 is the admin, #1 the relayer. */
const CREATORS = [
  { index: 2, name: "Ada Lux", symbol: "ADA", weight: 5 },
  { index: 3, name: "Bo Reed", symbol: "BOR", weight: 3 },
  { index: 4, name: "Cy Vale", symbol: "CYV", weight: 2 },
] as const;
const FAN_INDEXES = [5, 6, 7, 8, 9] as const;
const STREAMER_INDEXES = [10, 11, 12, 13] as const;
const TRACKS_PER_CREATOR = 2;
/** Streamed at this many USDC units (1e-6 USDC) per second. */
const STREAM_RATE = 1_000n;

export type SimulationEndpoints = { rpcUrl: string; relayerUrl: string; indexerUrl: string; deploymentsDir: string; operatorApiKey: string };

export type SimulationSummary = {
  listeners: number;
  seconds: number;
  plays: {
    signed: number;
    accepted: number;
    rejected: Record<string, number>;
    /** Accepted plays per track id (decimal string), from the relayer's answers. */
    acceptedByTrack: Record<string, number>;
    /** Every accepted play's relayer id. */
    acceptedIds: string[];
  };
  /** Fan engagement sent through the client SDK (play outcomes, likes, saves, shares, follows, playlists, comments). */
  engagement: EngagementTally;
  tracks: string[];
  /** Every creator coin traded in this run; `launchedNow` is false for one launched by an earlier run on this chain. */
  coins: { creator: Address; coin: Address; symbol: string; launchedNow: boolean }[];
  trades: { buys: number; sells: number; volumeUsdc: string };
  revenue: { deposits: number; depositedUsdc: string; claims: number; claimedUsdc: string };
  streams: { listeners: number; sessions: number; vouchersAcked: number; spentUsdc: string; errors: Record<string, number> };
  /** Batches committed on-chain at the end (MusicNFT.nextBatchId - 1). */
  batches: number;
  /** Failed actions (a reverted transaction, an HTTP error), by message; a healthy run has none. */
  failures: Record<string, number>;
  head: string;
};

export type SimulationProgress = { elapsedSeconds: number; totalSeconds: number; summary: SimulationSummary; phase: string };

export type RunSimulationParameters = {
  endpoints: SimulationEndpoints;
  listeners: number;
  seconds: number;
  onProgress?: (progress: SimulationProgress) => void;
};
export type RunSimulationReturnType = SimulationSummary;

type Addresses = { usdc: Address; musicNFT: Address; factory: Address; dex: Address; distributor: Address; vault: Address };

export async function runSimulation({ endpoints, listeners, seconds, onProgress }: RunSimulationParameters): Promise<RunSimulationReturnType> {
  const deployments = JSON.parse(await readFile(join(endpoints.deploymentsDir, `${hardhat.id}.json`), "utf8"));
  const at = (name: string): Address => {
    const address = deployments.contracts?.[name]?.address;
    if (typeof address !== "string") throw new Error(`${endpoints.deploymentsDir}/${hardhat.id}.json has no ${name}: is the stack (npm start) running?`);
    return address as Address;
  };
  const addresses: Addresses = {
    usdc: at("MockUSDC"),
    musicNFT: at("MusicNFT"),
    factory: at("CreatorCoinFactory"),
    dex: at("MusicDEX"),
    distributor: at("RevenueDistributor"),
    vault: at("BeatStreamVault"),
  };
  const client = createPublicClient({ chain: hardhat, transport: http(endpoints.rpcUrl) });
  const summary: SimulationSummary = {
    listeners,
    seconds,
    plays: { signed: 0, accepted: 0, rejected: {}, acceptedByTrack: {}, acceptedIds: [] },
    engagement: emptyTally(),
    tracks: [],
    coins: [],
    trades: { buys: 0, sells: 0, volumeUsdc: "0" },
    revenue: { deposits: 0, depositedUsdc: "0", claims: 0, claimedUsdc: "0" },
    streams: { listeners: 0, sessions: 0, vouchersAcked: 0, spentUsdc: "0", errors: {} },
    batches: 0,
    failures: {},
    head: "0",
  };
  let volume = 0n;
  let deposited = 0n;
  let claimed = 0n;
  let streamed = 0n;
  const fail = (what: string, error: unknown) => {
    const message = `${what}: ${describeFailure(error).slice(0, 200)}`;
    summary.failures[message] = (summary.failures[message] ?? 0) + 1;
  };

  const account = (index: number) => mnemonicToAccount(MNEMONIC, { addressIndex: index });
  const send = createSender({ client, rpcUrl: endpoints.rpcUrl });
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let phase = "setup";
  const report = () => onProgress?.({ elapsedSeconds: Math.min(seconds, (Date.now() - started) / 1000), totalSeconds: seconds, summary, phase });
  const progressTimer = setInterval(report, 500);
  const running = () => Date.now() < deadline;

  try {
    // ---------------------------------------------------------------- setup: tracks, funds, approvals
    const creators = CREATORS.map((creator) => ({ ...creator, account: account(creator.index), tracks: [] as bigint[], coin: undefined as Address | undefined }));
    await Promise.all(
      creators.map(async (creator) => {
        for (let index = 0; index < TRACKS_PER_CREATOR; index++) {
          const receipt = await send(creator.account, { address: addresses.musicNFT, abi: MusicNFTAbi, functionName: "mintTrack", args: [`ipfs://${creator.symbol.toLowerCase()}-${index + 1}-${randomBytes(4).toString("hex")}`, creator.account.address, 500n] });
          const [minted] = parseEventLogs({ abi: MusicNFTAbi, logs: receipt.logs, eventName: "TrackMinted" });
          if (minted === undefined) throw new Error("mintTrack emitted no TrackMinted");
          creator.tracks.push(minted.args.trackId);
        }
        // A second run on the same chain finds the coins of the first.
        const coin = await client.readContract({ address: addresses.factory, abi: CreatorCoinFactoryAbi, functionName: "coinOf", args: [creator.account.address] });
        if (coin !== zeroAddress) {
          creator.coin = coin;
          summary.coins.push({ creator: creator.account.address, coin, symbol: creator.symbol, launchedNow: false });
        }
        await send(creator.account, { address: addresses.usdc, abi: MockUSDCAbi, functionName: "mint", args: [creator.account.address, USDC(1_000_000)] });
        await send(creator.account, { address: addresses.usdc, abi: erc20Abi, functionName: "approve", args: [addresses.distributor, maxUint256] });
      }),
    );
    summary.tracks = creators.flatMap((creator) => creator.tracks.map(String));
    // Plays favour the first creator, so the launches come one after another.
    const weightedTracks = creators.flatMap((creator) => creator.tracks.flatMap((track) => Array.from({ length: creator.weight }, () => track)));
    const fans = FAN_INDEXES.map((index) => account(index));
    await Promise.all(
      fans.map(async (fan) => {
        await send(fan, { address: addresses.usdc, abi: MockUSDCAbi, functionName: "mint", args: [fan.address, USDC(1_000_000)] });
        await send(fan, { address: addresses.usdc, abi: erc20Abi, functionName: "approve", args: [addresses.dex, maxUint256] });
      }),
    );
    const streamers = STREAMER_INDEXES.slice(0, Math.min(listeners, STREAMER_INDEXES.length)).map((index) => account(index));
    await Promise.all(
      streamers.map(async (listener) => {
        await send(listener, { address: addresses.usdc, abi: MockUSDCAbi, functionName: "mint", args: [listener.address, USDC(100)] });
        await send(listener, { address: addresses.usdc, abi: erc20Abi, functionName: "approve", args: [addresses.vault, maxUint256] });
        await send(listener, { address: addresses.vault, abi: BeatStreamVaultAbi, functionName: "deposit", args: [USDC(20)] });
      }),
    );
    summary.streams.listeners = streamers.length;
    // Listeners who stream also sign plays; the rest are fresh keys (signing plays needs no gas).
    const playListeners: LocalAccount[] = [...streamers, ...Array.from({ length: listeners - streamers.length }, () => privateKeyToAccount(generatePrivateKey()))];
    phase = "live";

    // ---------------------------------------------------------------- listeners: plays and engagement through the client SDK
    const artistOf = new Map(creators.flatMap((creator) => creator.tracks.map((track) => [track, creator.account.address] as const)));
    const tally = summary.engagement;
    /** Every answer not yet in: the run ends only when each signed event has one. */
    const unanswered = new Set<Promise<unknown>>();
    const awaitAnswer = (sent: Promise<unknown>) => {
      const settled = sent.catch((error: unknown) => fail("client send", error)).finally(() => unanswered.delete(settled));
      unanswered.add(settled);
    };
    const clients: BeatStreamClient[] = [];
    const listenerLoop = async (listener: LocalAccount) => {
      const client = createBeatStreamClient({
        relayerUrl: endpoints.relayerUrl,
        chainId: hardhat.id,
        musicNFT: addresses.musicNFT,
        wallet: listener,
        // A retry is not a failed action, but a healthy stack needs none: it is reported with the failures.
        onRetry: ({ error }) => fail("client retry", new Error(error)),
      });
      clients.push(client);
      const habits = createListenerHabits({ client, tally });
      while (running()) {
        const count = 1 + Math.floor(Math.random() * 3);
        const now = Math.floor(Date.now() / 1000);
        for (let index = 0; index < count; index++) {
          const trackId = pick(weightedTracks);
          const play = habits.nextPlay(trackId, artistOf.get(trackId)!);
          // Plays heard before now (the simulator compresses time); a short one is sent anyway, as a careless
          // client would, and the relayer rejects it as too_short.
          const startedAt = now - play.heardSeconds - Math.floor(Math.random() * 60);
          summary.plays.signed += 1;
          awaitAnswer(
            client.sendPlay({ trackId, startedAt, durationSeconds: play.heardSeconds }).then((result) => {
              if (result.status === "accepted") {
                summary.plays.accepted += 1;
                summary.plays.acceptedIds.push(result.id);
                summary.plays.acceptedByTrack[trackId.toString()] = (summary.plays.acceptedByTrack[trackId.toString()] ?? 0) + 1;
              } else if (result.status === "rejected") {
                summary.plays.rejected[result.code] = (summary.plays.rejected[result.code] ?? 0) + 1;
              }
            }),
          );
          for (const sent of habits.afterPlay(play)) awaitAnswer(sent);
        }
        await sleep(800 + Math.random() * 1_200);
      }
    };

    // ---------------------------------------------------------------- creators: launch past the threshold, deposit revenue
    const creatorLoop = async (creator: (typeof creators)[number]) => {
      let nextDeposit = 0;
      while (running()) {
        try {
          if (creator.coin === undefined) {
            const [plays, threshold] = await Promise.all([
              client.readContract({ address: addresses.musicNFT, abi: MusicNFTAbi, functionName: "creatorPlays", args: [creator.account.address] }),
              client.readContract({ address: addresses.factory, abi: CreatorCoinFactoryAbi, functionName: "launchThreshold" }),
            ]);
            if (plays >= threshold) {
              await send(creator.account, { address: addresses.factory, abi: CreatorCoinFactoryAbi, functionName: "launchCoin", args: [creator.name, creator.symbol] });
              creator.coin = await client.readContract({ address: addresses.factory, abi: CreatorCoinFactoryAbi, functionName: "coinOf", args: [creator.account.address] });
              summary.coins.push({ creator: creator.account.address, coin: creator.coin, symbol: creator.symbol, launchedNow: true });
              nextDeposit = Date.now() + 5_000;
            }
          } else if (Date.now() >= nextDeposit) {
            const amount = USDC(10 + Math.floor(Math.random() * 40));
            await send(creator.account, { address: addresses.distributor, abi: RevenueDistributorAbi, functionName: "deposit", args: [creator.coin, amount] });
            summary.revenue.deposits += 1;
            deposited += amount;
            summary.revenue.depositedUsdc = deposited.toString();
            nextDeposit = Date.now() + 8_000 + Math.random() * 8_000;
          }
        } catch (error) {
          fail(`creator ${creator.symbol}`, error);
        }
        await sleep(1_000);
      }
    };

    // ---------------------------------------------------------------- fans: buy, sell, claim
    const approvedCoins = new Map<Address, Set<Address>>();
    const fanLoop = async (fan: LocalAccount) => {
      approvedCoins.set(fan.address, new Set());
      while (running()) {
        const coins = summary.coins.map((entry) => entry.coin);
        if (coins.length === 0) {
          await sleep(1_000);
          continue;
        }
        const coin = pick(coins);
        const dice = Math.random();
        try {
          const balance = await client.readContract({ address: coin, abi: CreatorCoinAbi, functionName: "balanceOf", args: [fan.address] });
          if (dice < 0.6 || balance === 0n) {
            const usdcIn = USDC(5 + Math.floor(Math.random() * 95));
            const [coinsOut] = await client.readContract({ address: addresses.dex, abi: MusicDEXAbi, functionName: "quoteBuy", args: [coin, usdcIn] });
            // 5 % slippage: other fans trade the same market at the same time.
            const receipt = await send(fan, { address: addresses.dex, abi: MusicDEXAbi, functionName: "buy", args: [coin, usdcIn, (coinsOut * 95n) / 100n, fan.address, BigInt(Math.floor(Date.now() / 1000) + 600)] });
            summary.trades.buys += 1;
            volume += swappedUsdc(receipt.logs);
          } else if (dice < 0.85) {
            if (!approvedCoins.get(fan.address)!.has(coin)) {
              await send(fan, { address: coin, abi: CreatorCoinAbi, functionName: "approve", args: [addresses.dex, maxUint256] });
              approvedCoins.get(fan.address)!.add(coin);
            }
            const coinsIn = (balance * BigInt(20 + Math.floor(Math.random() * 40))) / 100n;
            const [usdcOut] = await client.readContract({ address: addresses.dex, abi: MusicDEXAbi, functionName: "quoteSell", args: [coin, coinsIn] });
            const receipt = await send(fan, { address: addresses.dex, abi: MusicDEXAbi, functionName: "sell", args: [coin, coinsIn, (usdcOut * 95n) / 100n, fan.address, BigInt(Math.floor(Date.now() / 1000) + 600)] });
            summary.trades.sells += 1;
            volume += swappedUsdc(receipt.logs);
          } else {
            const claimable = await client.readContract({ address: addresses.distributor, abi: RevenueDistributorAbi, functionName: "claimable", args: [coin, fan.address] });
            if (claimable > 0n) {
              const receipt = await send(fan, { address: addresses.distributor, abi: RevenueDistributorAbi, functionName: "claim", args: [[coin]] });
              summary.revenue.claims += 1;
              claimed += parseEventLogs({ abi: CreatorCoinAbi, logs: receipt.logs, eventName: "RevenueClaimed" }).reduce((sum, log) => sum + log.args.amount, 0n);
              summary.revenue.claimedUsdc = claimed.toString();
            }
          }
          summary.trades.volumeUsdc = volume.toString();
        } catch (error) {
          fail("fan trade", error);
        }
        await sleep(1_500 + Math.random() * 2_500);
      }
    };

    // ---------------------------------------------------------------- streaming listeners: pay per second
    const wsUrl = `${endpoints.relayerUrl.replace(/^http/, "ws")}/v1/stream`;
    const streamLoop = async (listener: LocalAccount) => {
      while (running()) {
        const length = Math.min(15_000 + Math.random() * 15_000, deadline - Date.now());
        if (length < 6_000) break;
        const trackId = pick(summary.tracks.map(BigInt));
        // The track's creator as the simulator minted it: the client refuses a session that would pay anyone else.
        const stream = createStreamClient({ url: wsUrl, account: listener, chainId: hardhat.id, vault: addresses.vault, trackId, artist: artistOf.get(trackId)!, ratePerSecond: STREAM_RATE });
        stream.on("ack", () => (summary.streams.vouchersAcked += 1));
        stream.on("error", (frame) => (summary.streams.errors[frame.code] = (summary.streams.errors[frame.code] ?? 0) + 1));
        try {
          await stream.start();
          summary.streams.sessions += 1;
          await sleep(length);
          await stream.stop();
        } catch (error) {
          fail("stream", error);
          await stream.stop().catch(() => undefined);
        }
        streamed += stream.spent();
        summary.streams.spentUsdc = streamed.toString();
        await sleep(2_000 + Math.random() * 3_000);
      }
    };

    await Promise.all([...playListeners.map(listenerLoop), ...creators.map(creatorLoop), ...fans.map(fanLoop), ...streamers.map(streamLoop)]);
    // What the clients still hold (their last 5 s) goes now, and every answer is in before the relayer is flushed.
    await Promise.all(clients.map((client) => client.flush()));
    await Promise.all([...unanswered]);
    await Promise.all(clients.map((client) => client.close()));

    // ---------------------------------------------------------------- settle: every accepted play and voucher on-chain
    phase = "flushing";
    await flushPlays(endpoints);
    await operatorPost(endpoints, "/v1/admin/settlements/flush");
    const head = await client.getBlockNumber();
    summary.head = head.toString();
    summary.batches = Number((await client.readContract({ address: addresses.musicNFT, abi: MusicNFTAbi, functionName: "nextBatchId" })) - 1n);
    phase = "indexing";
    await waitForIndexer(endpoints.indexerUrl, head);
    phase = "done";
    report();
    return summary;
  } finally {
    clearInterval(progressTimer);
  }
}

/** Flushes until the relayer has no pending play and no unfinished batch. */
async function flushPlays(endpoints: SimulationEndpoints): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    await operatorPost(endpoints, "/v1/admin/flush");
    const response = await fetch(`${endpoints.relayerUrl}/v1/admin/status`, { headers: { authorization: `Bearer ${endpoints.operatorApiKey}` } });
    const status = (await response.json()) as { batches: Record<string, number>; pendingPlays: number };
    const unfinished = Object.entries(status.batches).filter(([name, count]) => name !== "committed" && count > 0);
    if (status.pendingPlays === 0 && unfinished.length === 0) return;
    await sleep(500);
  }
  throw new Error("the relayer still has pending plays after 20 flushes");
}

async function operatorPost(endpoints: SimulationEndpoints, path: string): Promise<unknown> {
  const response = await fetch(`${endpoints.relayerUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${endpoints.operatorApiKey}` } });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** The block the indexer has indexed up to (its /status); undefined while it does not answer one. */
export async function indexedBlock(indexerUrl: string): Promise<number | undefined> {
  const body = await fetch(`${indexerUrl}/status`, { signal: AbortSignal.timeout(5_000) })
    .then((response) => response.json() as Promise<{ beatstream?: { block?: { number?: number } } }>)
    .catch(() => undefined);
  const indexed = body?.beatstream?.block?.number;
  return typeof indexed === "number" ? indexed : undefined;
}

/**
 * One line for a failed action: a revert as its decoded error (name and arguments, or the reason string or panic
 * that viem puts on the line after its headline), anything else as its first line.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof BaseError) {
    const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const decoded = reverted.data === undefined ? undefined : `${reverted.data.errorName}(${(reverted.data.args ?? []).map(String).join(", ")})`;
      return `${error.shortMessage.split("\n")[0]} ${decoded ?? reverted.reason ?? reverted.signature ?? reverted.raw ?? ""}`.trim();
    }
    return error.shortMessage.split("\n")[0]!;
  }
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/** Resolves once the indexer's /status has reached `block`. */
export async function waitForIndexer(indexerUrl: string, block: bigint, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const indexed = await indexedBlock(indexerUrl);
    if (indexed !== undefined && BigInt(indexed) >= block) return;
    if (Date.now() > deadline) throw new Error(`the indexer did not reach block ${block} within ${timeoutMs} ms (at ${indexed})`);
    await sleep(250);
  }
}

/** The USDC side of the trade in a receipt: what the buyer paid or the seller received (the indexer's volume). */
function swappedUsdc(logs: Parameters<typeof parseEventLogs>[0]["logs"]): bigint {
  return parseEventLogs({ abi: MusicDEXAbi, logs, eventName: "Swapped" }).reduce((sum, log) => sum + log.args.usdcAmount, 0n);
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
