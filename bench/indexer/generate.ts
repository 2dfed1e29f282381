/**
 * Chain generator for the indexer benchmark: a Hardhat node with the whole protocol deployed (scripts/deploy.ts,
 * which writes deployments/<chainId>.json) and at least `targetEvents` protocol events of every kind the indexer
 * reads, all final for Ponder (≥ 35 empty blocks on top: chain 31337 has a fixed 30-block finality there).
 *
 *   npx tsx bench/indexer/generate.ts [--events 100000] [--out deployments] [--keep]
 *     --keep   leave the node running (its URL is printed) until Ctrl-C, e.g. to point `npm run indexer:start` at it
 *
 * How it is fast: automine is off; every account signs its own raw transactions locally (native secp256k1, explicit
 * nonces, never asking the node), a round's ~200 transactions go to the node in a few JSON-RPC batches, then one
 * `evm_mine` with an explicit timestamp makes them a block (10 simulated minutes apart, so candles and 24 h windows
 * see a spread of times). Within a round every sender's transactions depend only on its own earlier nonces or on
 * earlier blocks, so the order the node picks inside a block never makes one fail. After each block the generator
 * reads its logs: every transaction it sent must have emitted at least one (a revert emits none), and the decoded
 * events update what it knows (track ids, owners, coins), so later rounds only ask for what the chain allows.
 *
 * What it produces (protocol contracts only; MockUSDC's own Transfer/Approval logs are counted apart, since on a live
 * network USDC is not ours): track mints, play-batch commits of 100 packed deltas each with creator-metric reports,
 * coin launches (most at the start, some during the run, so the indexer meets factory children late), DEX buys and
 * sells with their coin transfers and holder-fee accruals, plain coin transfers (to known holders and to fresh
 * addresses), revenue deposits and multi-coin claims, vesting releases, creator-fee claims, track royalty changes
 * and NFT transfers, verification badges, vault deposits, settlements of listener-signed EIP-712 vouchers (40 per
 * settle), withdrawal requests, cancellations and executions (after the vault's delay), and artist withdrawals.
 */
import { cp, mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import * as raw from "multiformats/codecs/raw";
import {
  concatHex,
  createPublicClient,
  decodeEventLog,
  encodeFunctionData,
  getAddress,
  hashTypedData,
  http,
  keccak256,
  maxUint256,
  numberToHex,
  toEventSelector,
  toHex,
  type Abi,
  type AbiEvent,
  type Address,
  type Hex,
} from "viem";
import { STREAM_VOUCHER_TYPES, vaultDomain } from "../../relayer/src/crypto/eip712.js";
import { startLocalNode, type LocalNode } from "../../test/relayer/helpers/processes.js";
import { createRpcClient, type RpcClient } from "./rpc.js";
import { BENCH_CHAIN_ID, deriveAccount, signDigest, signTransaction, type BenchAccount } from "./signer.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** Hardhat's well-known dev accounts #0 (deployer: admin, verifier, treasury) and #1 (relayer role). */
const ADMIN_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const RELAYER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

const CREATORS = 40;
/** Creators that launch their coin right after the seed batch; the others launch during the run. */
const EARLY_LAUNCHES = 30;
const TRADERS = 300;
const LISTENERS = 200;
const INITIAL_TRACKS_PER_CREATOR = 50;
const LAUNCH_THRESHOLD_PLAYS = 50_000;
const DELTAS_PER_BATCH = 100;
const METRICS_PER_ROUND = 4;
const VOUCHERS_PER_SETTLE = 40;
const TRADER_ACTIONS_PER_ROUND = 140;
const CLAIM_COINS = 5;
const LISTENER_ACTIONS_PER_ROUND = 6;
const CREATOR_ACTION_PROBABILITY = 0.25;
const ROUND_SECONDS = 600;
const FINALITY_BLOCKS = 35;
const USDC = 1_000_000n;
const RPC_BATCH = 250;
const FAR_DEADLINE = 2n ** 63n;

// ── ABIs, straight from the Hardhat build ──────────────────────────────────────────────────────────
const ARTIFACTS = {
  MockUSDC: "mocks/MockUSDC.sol/MockUSDC.json",
  MusicNFT: "MusicNFT.sol/MusicNFT.json",
  RevenueDistributor: "RevenueDistributor.sol/RevenueDistributor.json",
  MusicDEX: "MusicDEX.sol/MusicDEX.json",
  CreatorCoinFactory: "CreatorCoinFactory.sol/CreatorCoinFactory.json",
  BeatStreamVault: "BeatStreamVault.sol/BeatStreamVault.json",
  CreatorCoin: "CreatorCoin.sol/CreatorCoin.json",
} as const;
type ContractName = keyof typeof ARTIFACTS;

async function loadAbis(): Promise<Record<ContractName, Abi>> {
  const entries = await Promise.all(
    Object.entries(ARTIFACTS).map(async ([name, path]) => {
      const artifact: { abi: Abi } = JSON.parse(await readFile(join(ROOT, "artifacts/contracts", path), "utf8"));
      return [name, artifact.abi] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<ContractName, Abi>;
}

export type GeneratedChain = {
  rpcUrl: string;
  chainId: number;
  /** The directory holding `<chainId>.json`. */
  deploymentsDir: string;
  /** Protocol events by `Contract.Event`, counted with viem getLogs over the whole chain. */
  eventsByKind: Record<string, number>;
  protocolEvents: number;
  /** MockUSDC's own logs (not protocol events). */
  usdcEvents: number;
  /** Packed track deltas carried by PlaysCommitted events (rows the indexer writes beyond one per event). */
  trackDeltas: number;
  transactions: number;
  /** The chain's last block number. */
  blocks: number;
  rounds: number;
  /** Block timestamp of the last trading round (the closing withdrawals come a day later): where "the last 24 h" of activity ends. */
  activeUntil: number;
  /** Wall-clock seconds: deploy, then the events. */
  deploySeconds: number;
  generateSeconds: number;
  node: LocalNode;
  stop(): Promise<void>;
};

export type GenerateChainParameters = {
  /** Keep adding rounds until at least this many protocol events exist. */
  targetEvents?: number;
  /** Where to copy deployments/<chainId>.json (default: the project's `deployments/`). */
  deploymentsDir?: string;
  log?: (line: string) => void;
};
export type GenerateChainReturnType = GeneratedChain;

type Tx = { kind: string; to: Address; data: Hex; gas: bigint; account: BenchAccount };
type Creator = { account: BenchAccount; tracks: bigint[]; plays: bigint; coin?: Address; launchAt: number; feesPending: boolean; earningsPending: boolean; revenue: bigint };
type Trader = { account: BenchAccount; holdings: Set<Address>; approved: Set<Address> };
type Session = { artist: Address; sessionId: Hex; cumulative: bigint };
type Listener = { account: BenchAccount; sessions: Session[]; withdrawalPending: boolean };
type Log = { address: Address; topics: [Hex, ...Hex[]]; data: Hex; transactionHash: Hex; blockNumber: Hex };

/** mulberry32: a small seeded generator, so two runs produce the same chain shape. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    /** Skewed towards the front: item i is picked about 1/(i+1) as often as the first (popular coins and tracks). */
    skewed: <T>(items: readonly T[]) => items[Math.min(items.length - 1, Math.floor(Math.exp(next() * Math.log(items.length + 1)) - 1))],
    shuffle: <T>(items: T[]) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
  };
}

/** A real CIDv1 (raw codec, sha-256) of `label`, as the relayer's snapshot store would name a file. */
async function cidOf(label: string): Promise<string> {
  return CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode(label))).toString();
}

/** commitPlays' packed deltas: 8-byte big-endian track id, 4-byte big-endian plays, per entry. */
function packDeltas(deltas: { trackId: bigint; plays: number }[]): Hex {
  return concatHex(deltas.map(({ trackId, plays }) => concatHex([numberToHex(trackId, { size: 8 }), numberToHex(plays, { size: 4 })])));
}

export async function generateChain({ targetEvents = 100_000, deploymentsDir = join(ROOT, "deployments"), log = console.log }: GenerateChainParameters = {}): Promise<GenerateChainReturnType> {
  const deployStart = performance.now();
  const node = await startLocalNode({ tracks: 0 });
  try {
    await mkdir(deploymentsDir, { recursive: true });
    await cp(join(node.deploymentsDir, `${BENCH_CHAIN_ID}.json`), join(deploymentsDir, `${BENCH_CHAIN_ID}.json`));
    const deploySeconds = (performance.now() - deployStart) / 1000;
    log(`node at ${node.rpcUrl}, protocol deployed in ${deploySeconds.toFixed(1)} s, deployments in ${deploymentsDir}`);
    const generateStart = performance.now();
    const rpc = createRpcClient({ url: node.rpcUrl });
    const filled = await fill({ rpc, node, targetEvents, log });
    rpc.close();
    const generateSeconds = (performance.now() - generateStart) / 1000;
    const counted = await countEvents({ rpcUrl: node.rpcUrl, contractAt: filled.contractAt, eventTables: filled.eventTables });
    return {
      eventsByKind: counted.eventsByKind,
      protocolEvents: counted.protocolEvents,
      usdcEvents: counted.usdcEvents,
      trackDeltas: filled.trackDeltas,
      transactions: filled.transactions,
      blocks: Number(counted.lastBlock),
      rounds: filled.rounds,
      activeUntil: filled.activeUntil,
      rpcUrl: node.rpcUrl,
      chainId: BENCH_CHAIN_ID,
      deploymentsDir,
      deploySeconds,
      generateSeconds,
      node,
      stop: () => node.stop(),
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

type FillParameters = { rpc: RpcClient; node: LocalNode; targetEvents: number; log: (line: string) => void };

async function fill({ rpc, node, targetEvents, log }: FillParameters) {
  const abis = await loadAbis();
  const deployments: { contracts: Record<string, { address: Address }> } = JSON.parse(await readFile(join(node.deploymentsDir, `${BENCH_CHAIN_ID}.json`), "utf8"));
  const address = (name: Exclude<ContractName, "CreatorCoin">) => getAddress(deployments.contracts[name].address);
  const usdc = address("MockUSDC");
  const nft = address("MusicNFT");
  const distributor = address("RevenueDistributor");
  const dex = address("MusicDEX");
  const factory = address("CreatorCoinFactory");
  const vault = address("BeatStreamVault");
  const random = createRandom(0xbea7);

  const encode = (contract: ContractName, functionName: string, args: readonly unknown[]) => encodeFunctionData({ abi: abis[contract], functionName, args });
  const readCall = (to: Address, contract: ContractName, functionName: string, args: readonly unknown[]) => ({
    method: "eth_call",
    params: [{ to, data: encode(contract, functionName, args) }, "latest"],
  });

  // Event decoding: topic0 → ABI item per contract (ERC-721 and ERC-20 Transfer share a topic, so the emitter decides).
  const eventsOf = (contract: ContractName) => new Map(abis[contract].filter((item): item is AbiEvent => item.type === "event").map((item) => [toEventSelector(item), item]));
  const eventTables = Object.fromEntries((Object.keys(ARTIFACTS) as ContractName[]).map((name) => [name, eventsOf(name)])) as Record<ContractName, Map<Hex, AbiEvent>>;
  const contractAt = new Map<Address, ContractName>([
    [usdc, "MockUSDC"],
    [nft, "MusicNFT"],
    [distributor, "RevenueDistributor"],
    [dex, "MusicDEX"],
    [factory, "CreatorCoinFactory"],
    [vault, "BeatStreamVault"],
  ]);

  // ── Accounts ──────────────────────────────────────────────────────────────────────────────────────
  const admin = deriveAccount({ privateKey: ADMIN_KEY });
  const relayer = deriveAccount({ privateKey: RELAYER_KEY });
  const creators: Creator[] = Array.from({ length: CREATORS }, (_, index) => ({
    account: deriveAccount({ label: `creator:${index}` }),
    tracks: [],
    plays: 0n,
    launchAt: index < EARLY_LAUNCHES ? 0 : 10 * (index - EARLY_LAUNCHES + 1),
    feesPending: false,
    earningsPending: false,
    revenue: 0n,
  }));
  const traders: Trader[] = Array.from({ length: TRADERS }, (_, index) => ({ account: deriveAccount({ label: `trader:${index}` }), holdings: new Set(), approved: new Set() }));
  const listeners: Listener[] = Array.from({ length: LISTENERS }, (_, index) => ({ account: deriveAccount({ label: `listener:${index}` }), sessions: [], withdrawalPending: false }));
  const creatorByAddress = new Map(creators.map((creator) => [creator.account.address, creator]));
  const traderByAddress = new Map(traders.map((trader) => [trader.account.address, trader]));
  const listenerByAddress = new Map(listeners.map((listener) => [listener.account.address, listener]));
  for (const account of [admin, relayer]) account.nonce = Number(BigInt(await rpc.call<Hex>("eth_getTransactionCount", [account.address, "latest"])));
  for (const listener of listeners) {
    for (let s = 0; s < 2; s++) listener.sessions.push({ artist: random.pick(creators).account.address, sessionId: keccak256(toHex(`${listener.account.address}:${s}`)), cumulative: 0n });
  }
  const everyone = [...creators.map((c) => c.account), ...traders.map((t) => t.account), ...listeners.map((l) => l.account)];
  await rpc.batch(everyone.map((account) => ({ method: "hardhat_setBalance", params: [account.address, numberToHex(10n ** 24n)] })));
  // Coins sit at addresses known before launch: the log decoder learns them up front.
  const predicted = await rpc.batch<Hex>(creators.map((creator) => readCall(factory, "CreatorCoinFactory", "predictCoinAddress", [creator.account.address])));
  for (const word of predicted) contractAt.set(getAddress(`0x${word.slice(26)}`), "CreatorCoin");
  const launchedCoins: Address[] = [];
  const trackOwner = new Map<bigint, Address>();
  const trackCreator = new Map<bigint, Creator>();
  await rpc.call("evm_setAutomine", [false]);

  // ── Blocks ────────────────────────────────────────────────────────────────────────────────────────
  const latest = await rpc.call<{ timestamp: Hex }>("eth_getBlockByNumber", ["latest", false]);
  let chainTime = Number(BigInt(latest.timestamp));
  let transactions = 0;
  let blocks = 0;
  let protocolEvents = 0;
  let trackDeltas = 0;
  const kindOfHash = new Map<Hex, string>();
  /** Milliseconds per step of `mine`, and planning (reads included), printed at the end. */
  const timings = { plan: 0, sign: 0, send: 0, mine: 0, logs: 0 };

  /** Sends `txs` (each sender's in nonce order), mines them into one block (more if they overflow its gas), checks every one emitted a log, applies the logs. */
  async function mine(txs: Tx[], seconds = ROUND_SECONDS): Promise<void> {
    let clock = performance.now();
    const lap = (step: keyof typeof timings) => {
      const now = performance.now();
      timings[step] += now - clock;
      clock = now;
    };
    const signed = txs.map((tx) => {
      const result = signTransaction({ account: tx.account, to: tx.to, data: tx.data, gas: tx.gas });
      kindOfHash.set(result.hash, tx.kind);
      return result;
    });
    lap("sign");
    for (let index = 0; index < signed.length; index += RPC_BATCH) {
      await rpc.batch(signed.slice(index, index + RPC_BATCH).map(({ raw }) => ({ method: "eth_sendRawTransaction", params: [raw] })));
    }
    lap("send");
    const pending = new Set(signed.map(({ hash }) => hash));
    const withLogs = new Set<Hex>();
    let included = 0;
    let first = true;
    while (first || included < signed.length) {
      chainTime += first ? seconds : 1;
      first = false;
      // 1 gwei every block: a base fee that climbs with full blocks would soon price the fixed fee cap out.
      await rpc.call("hardhat_setNextBlockBaseFeePerGas", [numberToHex(1_000_000_000n)]);
      await rpc.call("evm_mine", [chainTime]);
      lap("mine");
      blocks++;
      const block = await rpc.call<{ number: Hex; transactions: Hex[] }>("eth_getBlockByNumber", ["latest", false]);
      included += block.transactions.length;
      if (signed.length > 0 && block.transactions.length === 0) throw new Error(`a block took none of ${signed.length - included} pending transactions`);
      const logs = await rpc.call<Log[]>("eth_getLogs", [{ fromBlock: block.number, toBlock: block.number }]);
      for (const entry of logs) {
        withLogs.add(entry.transactionHash);
        apply(entry);
      }
      lap("logs");
      for (const hash of block.transactions) {
        if (!pending.delete(hash)) throw new Error(`block ${BigInt(block.number)} holds a transaction the generator did not send: ${hash}`);
      }
    }
    const failed = signed.filter(({ hash }) => !withLogs.has(hash));
    if (failed.length > 0) {
      const receipts = await rpc.batch<{ status: Hex }>(failed.slice(0, 5).map(({ hash }) => ({ method: "eth_getTransactionReceipt", params: [hash] })));
      throw new Error(
        `${failed.length} generated transactions emitted no event (reverted): ${failed
          .slice(0, 5)
          .map(({ hash }, index) => `${kindOfHash.get(hash)} ${hash} status ${receipts[index].status}`)
          .join("; ")}`,
      );
    }
    transactions += signed.length;
    for (const { hash } of signed) kindOfHash.delete(hash);
  }

  /** Learns from one mined log: counts protocol events and tracks what later rounds may do. */
  function apply(entry: Log): void {
    const contract = contractAt.get(getAddress(entry.address));
    if (contract === undefined) throw new Error(`a log from an unknown address ${entry.address}`);
    if (contract === "MockUSDC") return;
    protocolEvents++;
    const item = eventTables[contract].get(entry.topics[0]);
    if (item === undefined) throw new Error(`${contract} emitted an event missing from its ABI: ${entry.topics[0]}`);
    const { eventName, args } = decodeEventLog({ abi: [item], topics: entry.topics, data: entry.data });
    const values: Record<string, unknown> = args !== undefined && !Array.isArray(args) ? args : {};
    if (contract === "MusicNFT" && eventName === "TrackMinted") {
      const trackId = BigInt(String(values.trackId));
      const creator = creatorByAddress.get(getAddress(String(values.creator)));
      if (creator === undefined) throw new Error(`track ${trackId} minted by an unknown creator`);
      creator.tracks.push(trackId);
      trackOwner.set(trackId, creator.account.address);
      trackCreator.set(trackId, creator);
    } else if (contract === "MusicNFT" && eventName === "Transfer") {
      trackOwner.set(BigInt(String(values.tokenId)), getAddress(String(values.to)));
    } else if (contract === "MusicNFT" && eventName === "PlaysCommitted") {
      trackDeltas += Number(values.tracks);
    } else if (contract === "CreatorCoinFactory" && eventName === "CreatorCoinLaunched") {
      const creator = creatorByAddress.get(getAddress(String(values.creator)));
      if (creator === undefined) throw new Error("a coin launched by an unknown creator");
      creator.coin = getAddress(String(values.coin));
      launchedCoins.push(creator.coin);
    } else if (contract === "CreatorCoin" && eventName === "Transfer") {
      const to = traderByAddress.get(getAddress(String(values.to)));
      to?.holdings.add(getAddress(entry.address));
    } else if (contract === "MusicDEX" && (eventName === "Swapped" || eventName === "CreatorFeesClaimed")) {
      // Logs come in block order, so the last one decides whether fees are waiting.
      const coin = getAddress(String(values.coin));
      const creator = creators.find((candidate) => candidate.coin === coin);
      if (creator !== undefined) creator.feesPending = eventName === "Swapped";
    } else if (contract === "BeatStreamVault" && (eventName === "StreamSettled" || eventName === "EarningsWithdrawn")) {
      const artist = creatorByAddress.get(getAddress(String(values.artist)));
      if (artist !== undefined) artist.earningsPending = eventName === "StreamSettled";
    } else if (contract === "BeatStreamVault" && (eventName === "WithdrawalRequested" || eventName === "WithdrawalCancelled" || eventName === "Withdrawn")) {
      const listener = listenerByAddress.get(getAddress(String(values.listener)));
      if (listener !== undefined) listener.withdrawalPending = eventName === "WithdrawalRequested";
    }
  }

  const tx = (account: BenchAccount, kind: string, to: Address, contract: ContractName, functionName: string, args: readonly unknown[], gas: bigint): Tx => ({
    kind,
    to,
    data: encode(contract, functionName, args),
    gas,
    account,
  });

  // ── Setup: USDC for everyone, allowances, the first tracks ───────────────────────────────────────
  log("setup: funding, allowances, first tracks");
  const setup: Tx[] = [];
  for (const account of everyone) setup.push(tx(admin, "usdc mint", usdc, "MockUSDC", "mint", [account.address, 10_000_000n * USDC], 100_000n));
  for (const trader of traders) setup.push(tx(trader.account, "usdc approve", usdc, "MockUSDC", "approve", [dex, maxUint256], 80_000n));
  for (const creator of creators) setup.push(tx(creator.account, "usdc approve", usdc, "MockUSDC", "approve", [distributor, maxUint256], 80_000n));
  for (const listener of listeners) setup.push(tx(listener.account, "usdc approve", usdc, "MockUSDC", "approve", [vault, maxUint256], 80_000n));
  await mine(setup, 60);
  const firstTracks: Tx[] = [];
  for (let index = 0; index < INITIAL_TRACKS_PER_CREATOR; index++) {
    for (const creator of creators) {
      firstTracks.push(tx(creator.account, "mint track", nft, "MusicNFT", "mintTrack", [`ipfs://${await cidOf(`track:${creator.account.address}:${index}`)}`, creator.account.address, BigInt(random.int(0, 1000))], 250_000n));
    }
  }
  await mine(firstTracks, 60);
  await mine(listeners.map((listener) => tx(listener.account, "vault deposit", vault, "BeatStreamVault", "deposit", [200n * USDC], 150_000n)), 60);

  // ── The seed batch: every creator's first track past the launch threshold ─────────────────────────
  let nextBatchId = 1n;
  const commit = async (deltas: { trackId: bigint; plays: number }[]): Promise<Tx> => {
    // Sorted by creator: the cheaper order for commitPlays (one creator write per run).
    deltas.sort((a, b) => trackCreator.get(a.trackId)!.account.address.localeCompare(trackCreator.get(b.trackId)!.account.address));
    for (const { trackId, plays } of deltas) trackCreator.get(trackId)!.plays += BigInt(plays);
    const batchId = nextBatchId++;
    const cid = await cidOf(`snapshot:${batchId}`);
    return tx(relayer, "commit plays", nft, "MusicNFT", "commitPlays", [batchId, keccak256(toHex(`root:${batchId}`)), cid, packDeltas(deltas)], 200_000n + 30_000n * BigInt(deltas.length));
  };
  await mine([await commit(creators.map((creator) => ({ trackId: creator.tracks[0], plays: LAUNCH_THRESHOLD_PLAYS + random.int(0, 5_000) })))], 60);

  const launch = (creator: Creator, index: number) =>
    tx(creator.account, "launch coin", factory, "CreatorCoinFactory", "launchCoin", [`Bench Artist ${index}`, `BA${index}`], 2_000_000n);
  await mine(creators.flatMap((creator, index) => (creator.launchAt === 0 ? [launch(creator, index)] : [])), 60);
  log(`setup done: ${transactions} transactions in ${blocks} blocks, ${protocolEvents} protocol events, ${launchedCoins.length} coins`);

  // ── Rounds: one block each, until the target ─────────────────────────────────────────────────────
  const allTracks = () => [...trackCreator.keys()];
  let round = 0;
  const started = performance.now();
  while (protocolEvents < targetEvents) {
    round++;
    const planStart = performance.now();
    const txs: Tx[] = [];
    // Relayer: a play batch, the creators it touched, and a settle of signed vouchers.
    const tracks = allTracks();
    const chosen = new Set<bigint>();
    while (chosen.size < Math.min(DELTAS_PER_BATCH, tracks.length)) chosen.add(random.skewed(tracks));
    const deltas = [...chosen].map((trackId) => ({ trackId, plays: random.int(1, 400) }));
    txs.push(await commit(deltas));
    const touched = [...new Set(deltas.map(({ trackId }) => trackCreator.get(trackId)!))];
    for (const creator of random.shuffle(touched).slice(0, METRICS_PER_ROUND)) {
      creator.revenue += BigInt(random.int(1, 50)) * USDC;
      txs.push(tx(relayer, "creator metrics", factory, "CreatorCoinFactory", "updateCreatorMetrics", [creator.account.address, creator.plays, BigInt(random.int(10, 100_000)), creator.revenue, await cidOf(`snapshot:${nextBatchId - 1n}`)], 200_000n));
    }
    const payers = random.shuffle([...listeners]).slice(0, VOUCHERS_PER_SETTLE);
    const vouchers = payers.map((listener) => {
      const session = random.pick(listener.sessions);
      session.cumulative += BigInt(random.int(10_000, 300_000));
      const voucher = { listener: listener.account.address, artist: session.artist, sessionId: session.sessionId, cumulativeAmount: session.cumulative, deadline: FAR_DEADLINE };
      const digest = hashTypedData({ domain: vaultDomain({ chainId: BENCH_CHAIN_ID, vault }), types: STREAM_VOUCHER_TYPES, primaryType: "StreamVoucher", message: voucher });
      return { voucher, signature: signDigest({ account: listener.account, digest }) };
    });
    vouchers.sort((a, b) => a.voucher.artist.localeCompare(b.voucher.artist));
    txs.push(tx(relayer, "settle", vault, "BeatStreamVault", "settle", [vouchers.map(({ voucher }) => voucher), concatHex(vouchers.map(({ signature }) => signature))], 150_000n + 80_000n * BigInt(vouchers.length)));

    // Admin: a verification badge now and then.
    if (round % 10 === 0) txs.push(tx(admin, "verify creator", factory, "CreatorCoinFactory", "setVerified", [random.pick(creators).account.address, random.next() < 0.8], 100_000n));

    // Creators.
    for (const [index, creator] of creators.entries()) {
      if (creator.coin === undefined && creator.launchAt > 0 && round >= creator.launchAt) {
        txs.push(launch(creator, index));
        continue;
      }
      if (random.next() >= CREATOR_ACTION_PROBABILITY) continue;
      const owned = creator.tracks.filter((trackId) => trackOwner.get(trackId) === creator.account.address);
      const choice = random.next();
      if (choice < 0.35 || owned.length === 0) {
        txs.push(tx(creator.account, "mint track", nft, "MusicNFT", "mintTrack", [`ipfs://${await cidOf(`track:${creator.account.address}:r${round}`)}`, creator.account.address, BigInt(random.int(0, 1000))], 250_000n));
      } else if (choice < 0.55 && creator.coin !== undefined) {
        txs.push(tx(creator.account, "revenue deposit", distributor, "RevenueDistributor", "deposit", [creator.coin, BigInt(random.int(10, 500)) * USDC], 250_000n));
      } else if (choice < 0.7 && creator.coin !== undefined && creator.feesPending) {
        txs.push(tx(creator.account, "creator fees claim", dex, "MusicDEX", "claimCreatorFees", [creator.coin, creator.account.address], 150_000n));
      } else if (choice < 0.8 && creator.coin !== undefined) {
        txs.push(tx(creator.account, "vesting release", creator.coin, "CreatorCoin", "releaseVested", [], 200_000n));
      } else if (choice < 0.9 && creator.earningsPending) {
        txs.push(tx(creator.account, "earnings withdrawal", vault, "BeatStreamVault", "withdrawEarnings", [creator.account.address], 150_000n));
      } else if (choice < 0.95) {
        txs.push(tx(creator.account, "royalty update", nft, "MusicNFT", "setTrackRoyalty", [random.pick(owned), creator.account.address, BigInt(random.int(0, 1000))], 120_000n));
      } else {
        txs.push(tx(creator.account, "track transfer", nft, "MusicNFT", "transferFrom", [creator.account.address, random.pick(traders).account.address, random.pick(owned)], 150_000n));
      }
    }

    // Listeners: top-ups and withdrawals (settlements above spend their balances).
    for (const listener of random.shuffle([...listeners]).slice(0, LISTENER_ACTIONS_PER_ROUND)) {
      const choice = random.next();
      if (choice < 0.6) txs.push(tx(listener.account, "vault deposit", vault, "BeatStreamVault", "deposit", [BigInt(random.int(5, 100)) * USDC], 150_000n));
      else if (!listener.withdrawalPending) {
        txs.push(tx(listener.account, "withdrawal request", vault, "BeatStreamVault", "requestWithdrawal", [BigInt(random.int(1, 20)) * USDC], 120_000n));
      } else if (choice < 0.8) {
        txs.push(tx(listener.account, "withdrawal cancel", vault, "BeatStreamVault", "cancelWithdrawal", [], 120_000n));
      }
    }

    // Traders: buys, sells, transfers, claims. Balances and claimable revenue are read first (state of the last block).
    const actors = random.shuffle([...traders]).slice(0, TRADER_ACTIONS_PER_ROUND);
    const intents = actors.map((trader) => {
      const held = [...trader.holdings];
      const choice = random.next();
      const action = held.length === 0 || choice < 0.5 ? "buy" : choice < 0.7 ? "sell" : choice < 0.85 ? "transfer" : "claim";
      // A claim covers at most CLAIM_COINS coins, so only that many are read (a trader may hold all 40).
      const candidates = action === "claim" ? random.shuffle(held).slice(0, CLAIM_COINS) : held;
      return { trader, action, coin: action === "buy" ? random.skewed(launchedCoins) : random.pick(held), held: candidates };
    });
    const balanceReads = intents.filter(({ action }) => action === "sell" || action === "transfer");
    const claimReads = intents.filter(({ action }) => action === "claim");
    const answers = await rpc.batch<Hex>([
      ...balanceReads.map(({ trader, coin }) => readCall(coin, "CreatorCoin", "balanceOf", [trader.account.address])),
      ...claimReads.flatMap(({ trader, held }) => held.map((coin) => readCall(distributor, "RevenueDistributor", "claimable", [coin, trader.account.address]))),
    ]);
    const balances = new Map(balanceReads.map((intent, index) => [intent, BigInt(answers[index])]));
    let cursor = balanceReads.length;
    const claimable = new Map(claimReads.map((intent) => [intent, intent.held.filter(() => BigInt(answers[cursor++]) > 0n)]));
    for (const intent of intents) {
      const { trader, coin } = intent;
      const me = trader.account;
      const buy = () => {
        const recipient = random.next() < 0.9 ? me.address : random.pick(traders).account.address;
        txs.push(tx(me, "dex buy", dex, "MusicDEX", "buy", [random.skewed(launchedCoins), BigInt(random.int(5, 150)) * USDC, 0n, recipient, FAR_DEADLINE], 350_000n));
      };
      const balance = balances.get(intent) ?? 0n;
      if (intent.action === "buy") buy();
      else if (intent.action === "sell" && balance > 10n) {
        if (!trader.approved.has(coin)) {
          trader.approved.add(coin);
          txs.push(tx(me, "coin approve", coin, "CreatorCoin", "approve", [dex, maxUint256], 80_000n));
        }
        txs.push(tx(me, "dex sell", dex, "MusicDEX", "sell", [coin, (balance * BigInt(random.int(10, 60))) / 100n, 0n, me.address, FAR_DEADLINE], 350_000n));
      } else if (intent.action === "transfer" && balance > 10n) {
        const to = random.next() < 0.7 ? random.pick(traders).account.address : getAddress(keccak256(toHex(`holder:${round}:${me.address}`)).slice(0, 42));
        if (to === me.address) buy();
        else txs.push(tx(me, "coin transfer", coin, "CreatorCoin", "transfer", [to, (balance * BigInt(random.int(10, 40))) / 100n], 200_000n));
      } else if (intent.action === "claim" && (claimable.get(intent)?.length ?? 0) > 0) {
        const coins = claimable.get(intent)!;
        txs.push(tx(me, "revenue claim", distributor, "RevenueDistributor", "claim", [coins], 100_000n + 80_000n * BigInt(coins.length)));
      } else buy();
    }
    timings.plan += performance.now() - planStart;
    await mine(txs);
    if (round % 20 === 0) {
      const rate = transactions / ((performance.now() - started) / 1000);
      log(`round ${round}: ${protocolEvents} protocol events, ${transactions} transactions (${rate.toFixed(0)} tx/s in rounds), ${launchedCoins.length} coins`);
    }
  }

  // ── The end: a day later, pending withdrawals execute, artists cash out; then finality ────────────
  const activeUntil = chainTime;
  const closing: Tx[] = [];
  for (const listener of listeners) {
    if (listener.withdrawalPending) closing.push(tx(listener.account, "withdrawal", vault, "BeatStreamVault", "withdraw", [], 150_000n));
  }
  for (const creator of creators) {
    if (creator.earningsPending) closing.push(tx(creator.account, "earnings withdrawal", vault, "BeatStreamVault", "withdrawEarnings", [creator.account.address], 150_000n));
  }
  await mine(closing, 86_400 + 60);
  for (let index = 0; index < FINALITY_BLOCKS; index++) await mine([], 2);
  log(`generator time (s): ${Object.entries(timings).map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)}`).join(", ")}`);
  log(`generated ${round} rounds: ${protocolEvents} protocol events (by the generator's own count), ${transactions} transactions, ${blocks} blocks`);
  return { trackDeltas, transactions, blocks, rounds: round, activeUntil, contractAt, eventTables };
}

export type CountEventsParameters = { rpcUrl: string; contractAt: Map<Address, ContractName>; eventTables: Record<ContractName, Map<Hex, AbiEvent>> };
export type CountEventsReturnType = { eventsByKind: Record<string, number>; protocolEvents: number; usdcEvents: number; lastBlock: bigint };

/** Every log of the chain by `Contract.Event`, read with viem getLogs in block ranges (an independent recount). */
export async function countEvents({ rpcUrl, contractAt, eventTables }: CountEventsParameters): Promise<CountEventsReturnType> {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: 120_000 }) });
  const lastBlock = await client.getBlockNumber();
  const eventsByKind: Record<string, number> = {};
  let protocolEvents = 0;
  let usdcEvents = 0;
  const step = 5n;
  for (let from = 0n; from <= lastBlock; from += step) {
    const to = from + step - 1n < lastBlock ? from + step - 1n : lastBlock;
    const logs = await client.getLogs({ address: [...contractAt.keys()], fromBlock: from, toBlock: to });
    for (const entry of logs) {
      const contract = contractAt.get(getAddress(entry.address));
      if (contract === undefined) continue;
      if (contract === "MockUSDC") {
        usdcEvents++;
        continue;
      }
      const name = eventTables[contract].get(entry.topics[0] ?? "0x")?.name ?? "unknown";
      const kind = `${contract}.${name}`;
      eventsByKind[kind] = (eventsByKind[kind] ?? 0) + 1;
      protocolEvents++;
    }
  }
  return { eventsByKind, protocolEvents, usdcEvents, lastBlock };
}

// ── CLI ─────────────────────────────────────────────────────────────────────────────────────────────
if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  const argument = (name: string) => {
    const index = process.argv.indexOf(name);
    return index === -1 ? undefined : process.argv[index + 1];
  };
  const chain = await generateChain({ targetEvents: Number(argument("--events") ?? 100_000), deploymentsDir: resolve(argument("--out") ?? join(ROOT, "deployments")) });
  console.table(Object.entries(chain.eventsByKind).sort(([a], [b]) => a.localeCompare(b)).map(([kind, count]) => ({ kind, count })));
  console.table({
    chain: {
      "protocol events": chain.protocolEvents,
      "USDC events": chain.usdcEvents,
      "track deltas": chain.trackDeltas,
      transactions: chain.transactions,
      "last block": chain.blocks,
      "deploy s": Number(chain.deploySeconds.toFixed(1)),
      "generate s": Number(chain.generateSeconds.toFixed(1)),
      "events/s": Math.round(chain.protocolEvents / chain.generateSeconds),
    },
  });
  if (process.argv.includes("--keep")) {
    console.log(`node running at ${chain.rpcUrl} (chain ${chain.chainId}); Ctrl-C stops it`);
    process.once("SIGINT", () => void chain.stop().then(() => process.exit(0)));
  } else await chain.stop();
}
