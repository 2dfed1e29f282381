/**
 * End to end, as a user runs it: `npm start` as a child process (its own ports, data and deployments directories,
 * so a developer's stack is left alone), `npm run simulate` for a minute against it, then:
 * - the indexer's answers equal the chain's state (tracks, batches, creators, every coin and its holders, vault
 *   accounts, platform totals);
 * - every play the relayer accepted is counted on-chain exactly once (per track, the simulator's accepted count ==
 *   the relayer's committed count == MusicNFT.playCount; every accepted play committed, with a proof the chain accepts);
 * - `npm run relayer -- verify <id>` passes for every committed batch;
 * - the fan engagement the simulator sent through the client SDK was all accepted;
 * - Ctrl-C (SIGINT to the `npm start` process group, as a terminal sends it) stops every process it started.
 *
 * `npm run test:e2e` (not part of `npm test`: it takes about three minutes).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createPublicClient, http, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { BeatStreamVaultAbi } from "../indexer/abis/BeatStreamVault.js";
import { CreatorCoinAbi } from "../indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "../indexer/abis/CreatorCoinFactory.js";
import { MusicDEXAbi } from "../indexer/abis/MusicDEX.js";
import { MusicNFTAbi } from "../indexer/abis/MusicNFT.js";
import { waitForIndexer, type SimulationSummary } from "../scripts/stack/simulation.js";
import { freePort } from "../test/relayer/helpers/processes.js";
import { runNpm, startNpm, stopStack, type NpmProcess } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "..");
const lower = (value: string) => value.toLowerCase();
const str = (value: bigint | number) => value.toString();

describe("end to end: npm start, npm run simulate, the indexer equals the chain, every play counted once", function () {
  this.timeout(600_000);
  let dir: string;
  let env: Record<string, string>;
  let stack: NpmProcess;
  let pids: number[] = [];
  let summary: SimulationSummary;
  let urls: { rpc: string; relayer: string; indexer: string };
  let contracts: Record<"MusicNFT" | "CreatorCoinFactory" | "MusicDEX" | "BeatStreamVault" | "MockUSDC", Address>;
  let client: ReturnType<typeof createPublicClient>;

  before(async function () {
    await mkdir(join(ROOT, "cache"), { recursive: true });
    dir = await mkdtemp(join(ROOT, "cache", "e2e-"));
    const [chainPort, relayerPort, indexerPort] = [await freePort(), await freePort(), await freePort()];
    urls = { rpc: `http://127.0.0.1:${chainPort}`, relayer: `http://127.0.0.1:${relayerPort}`, indexer: `http://127.0.0.1:${indexerPort}` };
    env = {
      CHAIN_PORT: String(chainPort),
      RELAYER_PORT: String(relayerPort),
      INDEXER_PORT: String(indexerPort),
      STACK_DATA_DIR: join(dir, "data"),
      DEPLOYMENTS_DIR: join(dir, "deployments"),
      IGNITION_DEPLOYMENT_ID: `e2e-${randomBytes(4).toString("hex")}`,
      OPERATOR_API_KEY: "e2e-operator-key-0123",
    };
    stack = startNpm(["start"], env);
    const ready = await stack.waitFor(/^pids: chain (\d+), relayer (\d+), indexer (\d+)/, 360_000);
    pids = [...ready.matchAll(/\d+/g)].map((match) => Number(match[0]));
    await stack.waitFor(/^ready\./, 10_000);

    const file = join(dir, "simulation.json");
    const simulation = await runNpm(["run", "simulate", "--", "--listeners", "6", "--minutes", "1", "--json", file], env, 300_000);
    expect(simulation.code, simulation.output).to.equal(0);
    summary = JSON.parse(await readFile(file, "utf8"));
    const deployments = JSON.parse(await readFile(join(env.DEPLOYMENTS_DIR!, "31337.json"), "utf8"));
    const address = (name: string): Address => deployments.contracts[name].address;
    contracts = {
      MusicNFT: address("MusicNFT"),
      CreatorCoinFactory: address("CreatorCoinFactory"),
      MusicDEX: address("MusicDEX"),
      BeatStreamVault: address("BeatStreamVault"),
      MockUSDC: address("MockUSDC"),
    };
    client = createPublicClient({ chain: hardhat, transport: http(urls.rpc) });
  });

  after(async function () {
    await stopStack({ stack, pids, root: ROOT, ignitionDeploymentId: env?.IGNITION_DEPLOYMENT_ID, dir });
  });

  it("sent fan engagement through the client SDK: every kind of event, all accepted, and the relayer shows it", async function () {
    const { engagement } = summary;
    expect(engagement.rejected).to.deep.equal({});
    expect(engagement.applied + engagement.unchanged).to.equal(engagement.sent);
    expect(engagement.plays.complete + engagement.plays.skip).to.equal(summary.plays.signed);
    for (const action of ["play_complete", "play_skip", "like", "save"]) expect(engagement.byAction[action] ?? 0, action).to.be.greaterThan(0);
    // The relayer's comments list for every track adds up to the comments the simulator had accepted (none deleted).
    let comments = 0;
    for (const track of summary.tracks) {
      const body = (await (await fetch(`${urls.relayer}/v1/tracks/${track}/comments?limit=100`)).json()) as { comments: unknown[] };
      comments += body.comments.length;
    }
    expect(comments).to.equal(engagement.byAction.comment ?? 0);
  });

  it("simulated a living system: accepted and too-short plays, launches, trades, revenue, streams, no failed action", function () {
    expect(summary.failures).to.deep.equal({});
    expect(summary.plays.accepted).to.be.greaterThan(50);
    expect(summary.plays.rejected.too_short ?? 0).to.be.greaterThan(0);
    expect(summary.coins.filter((coin) => coin.launchedNow).length).to.be.greaterThanOrEqual(1);
    expect(summary.trades.buys).to.be.greaterThan(0);
    expect(summary.trades.sells).to.be.greaterThan(0);
    expect(summary.revenue.deposits).to.be.greaterThan(0);
    expect(summary.streams.sessions).to.be.greaterThan(0);
    expect(summary.streams.vouchersAcked).to.be.greaterThan(0);
    expect(summary.batches).to.be.greaterThan(1);
  });

  it("counts every accepted play on-chain exactly once", async function () {
    const nft = { address: contracts.MusicNFT, abi: MusicNFTAbi } as const;
    const totalTracks = await client.readContract({ ...nft, functionName: "totalTracks" });
    let sum = 0n;
    for (let id = 1n; id <= totalTracks; id++) {
      const onChain = await client.readContract({ ...nft, functionName: "playCount", args: [id] });
      const relayer = (await (await fetch(`${urls.relayer}/v1/tracks/${id}/plays`)).json()) as { committed: string; pending: string };
      const accepted = BigInt(summary.plays.acceptedByTrack[str(id)] ?? 0);
      expect({ track: str(id), relayerCommitted: relayer.committed, relayerPending: relayer.pending, simulatorAccepted: str(accepted) }).to.deep.equal({
        track: str(id),
        relayerCommitted: str(onChain),
        relayerPending: "0",
        simulatorAccepted: str(onChain),
      });
      sum += onChain;
    }
    expect(await client.readContract({ ...nft, functionName: "totalPlays" })).to.equal(sum);
    expect(sum).to.equal(BigInt(summary.plays.accepted));
    // Each accepted play is committed in exactly one batch, with a proof the chain accepts.
    expect(new Set(summary.plays.acceptedIds).size).to.equal(summary.plays.acceptedIds.length);
    for (const [index, id] of summary.plays.acceptedIds.entries()) {
      const body = (await (await fetch(`${urls.relayer}/v1/plays/${id}`)).json()) as {
        status: string;
        batchId: string | null;
        proof: Hex[] | null;
        leafPlay: { listener: Hex; trackId: string; startedAt: string; durationSeconds: number; nonce: Hex } | null;
        signatureHash: Hex | null;
      };
      expect([id, body.status]).to.deep.equal([id, "committed"]);
      // Every proof is checked against the chain for a sample; the rest are committed by status.
      if (index % 10 === 0) {
        const play = { ...body.leafPlay!, trackId: BigInt(body.leafPlay!.trackId), startedAt: BigInt(body.leafPlay!.startedAt) };
        const args = [BigInt(body.batchId!), play, body.signatureHash!, body.proof!] as const;
        expect(await client.readContract({ ...nft, functionName: "verifyPlay", args })).to.equal(true);
      }
    }
  });

  it("the indexer's numbers equal the chain's", async function () {
    // Revenue unlocks with time alone and the stack's chain mines a block every second: the interval mining stops
    // while the indexer is compared with the chain, both at one block (the indexer answers as of its latest one).
    await rpc("evm_setIntervalMining", [0]);
    try {
      await compareIndexerWithChain();
    } finally {
      await rpc("evm_setIntervalMining", [1_000]);
    }
  });

  async function rpc(method: string, params: unknown[]): Promise<void> {
    const response = await fetch(urls.rpc, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await response.json()) as { error?: { message: string } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  }

  async function compareIndexerWithChain(): Promise<void> {
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const atHead = { blockNumber: head } as const;
    await waitForIndexer(urls.indexer, head);
    const get = async (path: string) => {
      const response = await fetch(`${urls.indexer}${path}`);
      const body = (await response.json()) as any;
      expect(response.status, `${path}: ${JSON.stringify(body)}`).to.equal(200);
      return body;
    };
    const all = async (path: string) => {
      const items: any[] = [];
      for (let cursor: string | null = null, pages = 0; pages < 1000; pages++) {
        const page = await get(`${path}${path.includes("?") ? "&" : "?"}limit=100${cursor === null ? "" : `&cursor=${cursor}`}`);
        items.push(...page.items);
        cursor = page.nextCursor;
        if (cursor === null) return items;
      }
      throw new Error(`${path}: too many pages`);
    };
    const nft = { address: contracts.MusicNFT, abi: MusicNFTAbi } as const;
    const factory = { address: contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi } as const;
    const dex = { address: contracts.MusicDEX, abi: MusicDEXAbi } as const;
    const vault = { address: contracts.BeatStreamVault, abi: BeatStreamVaultAbi } as const;
    const range = { fromBlock: 0n, toBlock: head } as const;

    // Tracks and their plays.
    const tracks = await all("/tracks");
    expect(tracks.length).to.equal(Number(await client.readContract({ ...nft, functionName: "totalTracks" })));
    for (const row of tracks) {
      const id = BigInt(row.id);
      expect(row).to.include({
        plays: str(await client.readContract({ ...nft, functionName: "playCount", args: [id] })),
        creator: lower(await client.readContract({ ...nft, functionName: "creatorOf", args: [id] })),
        owner: lower(await client.readContract({ ...nft, functionName: "ownerOf", args: [id] })),
      });
    }

    // Batches: ids, roots, plays, committer.
    const nextBatchId = await client.readContract({ ...nft, functionName: "nextBatchId" });
    const commits = await client.getContractEvents({ ...nft, eventName: "PlaysCommitted", ...range });
    const batches = await all("/batches");
    expect(batches.map((row) => row.id)).to.deep.equal(Array.from({ length: Number(nextBatchId - 1n) }, (_, index) => str(Number(nextBatchId) - 1 - index)));
    for (const row of batches) {
      const log = commits.find((candidate) => candidate.args.batchId === BigInt(row.id))!;
      expect(row).to.include({ root: await client.readContract({ ...nft, functionName: "batchRoot", args: [BigInt(row.id)] }), plays: str(log.args.plays!), txHash: log.transactionHash });
    }

    // Creators: plays, reported metrics (the relayer's milestones), coin.
    const creators = [...new Set(tracks.map((row) => row.creator as string))];
    for (const creator of creators) {
      const body = await get(`/creators/${creator}`);
      const [plays, metrics, coin] = await Promise.all([
        client.readContract({ ...nft, functionName: "creatorPlays", args: [creator as Address] }),
        client.readContract({ ...factory, functionName: "creatorMetrics", args: [creator as Address] }),
        client.readContract({ ...factory, functionName: "coinOf", args: [creator as Address] }),
      ]);
      expect(body).to.include({ plays: str(plays), reportedPlays: str(metrics.plays) });
      expect(body.coin?.address ?? null).to.equal(BigInt(coin) === 0n ? null : lower(coin));
    }
    const reported = await client.getContractEvents({ ...factory, eventName: "CreatorMetricsUpdated", ...range });
    expect(reported.length, "the relayer reported milestones").to.be.greaterThan(0);

    // Every coin: market, price, supply, trades, volume, holders with balances and claimable revenue.
    const coins = await all("/coins");
    const launched = await client.getContractEvents({ ...factory, eventName: "CreatorCoinLaunched", ...range });
    expect(coins.map((row) => row.address).sort()).to.deep.equal(launched.map((log) => lower(log.args.coin!)).sort());
    const swaps = await client.getContractEvents({ ...dex, eventName: "Swapped", ...range });
    let revenueDeposited = 0n;
    for (const row of coins) {
      const address = row.address as Address;
      const coin = { address, abi: CreatorCoinAbi } as const;
      const [market, supply, revenuePerToken, undistributed, [accumulator, eligibleUnits, updatedAt, locked]] = await Promise.all([
        client.readContract({ ...dex, functionName: "market", args: [address], ...atHead }),
        client.readContract({ ...coin, functionName: "totalSupply", ...atHead }),
        client.readContract({ ...coin, functionName: "revenuePerToken", ...atHead }),
        client.readContract({ ...coin, functionName: "undistributedRevenue", ...atHead }),
        client.readContract({ ...coin, functionName: "revenueState", ...atHead }),
      ]);
      const trades = swaps.filter((log) => lower(log.args.coin!) === row.address);
      expect(row).to.include({
        usdcReserve: str(market.usdcReserve),
        coinReserve: str(market.coinReserve),
        outstanding: str(market.outstanding),
        // The last trade's price (MusicDEX.spotPrice also counts the market's revenue since then).
        price: str(((market.virtualUsdc + market.usdcReserve) * 10n ** 18n) / market.coinReserve),
        totalSupply: str(supply),
        trades: trades.length,
        volumeUsdc: str(trades.reduce((sum, log) => sum + log.args.usdcAmount!, 0n)),
        revenuePerToken: str(revenuePerToken),
        undistributedRevenue: str(undistributed),
        revenueAccumulator: str(accumulator),
        eligibleUnits: str(eligibleUnits),
        revenueUpdatedAt: str(updatedAt),
        lockedRevenue: str(locked),
      });
      expect(BigInt(row.holderFeesAccrued) - BigInt(row.holderFeesReleased) - BigInt(row.holderFeesToMarket)).to.equal(market.holderFees);
      const holders = await all(`/coins/${address}/holders`);
      expect(holders.length).to.be.greaterThan(0);
      for (const holder of holders) {
        expect([holder.holder, holder.balance, holder.claimableRevenue]).to.deep.equal([
          holder.holder,
          str(await client.readContract({ ...coin, functionName: "balanceOf", args: [holder.holder], ...atHead })),
          str(await client.readContract({ ...coin, functionName: "claimableRevenue", args: [holder.holder], ...atHead })),
        ]);
      }
      revenueDeposited += (await client.getContractEvents({ ...coin, eventName: "RevenueDeposited", ...range })).reduce((sum, log) => sum + log.args.amount!, 0n);
    }

    // Vault: each listener's balance, each artist's earnings.
    const deposits = await client.getContractEvents({ ...vault, eventName: "Deposited", ...range });
    const settled = await client.getContractEvents({ ...vault, eventName: "StreamSettled", ...range });
    expect(settled.length, "the relayer settled vouchers").to.be.greaterThan(0);
    for (const listener of new Set(deposits.map((log) => log.args.listener!))) {
      const body = await get(`/listeners/${listener}`);
      expect(body.balance).to.equal(str(await client.readContract({ ...vault, functionName: "balanceOf", args: [listener] })));
    }
    for (const artist of new Set(settled.map((log) => log.args.artist!))) {
      const body = await get(`/artists/${artist}/earnings`);
      expect(body.vault.balance).to.equal(str(await client.readContract({ ...vault, functionName: "earningsOf", args: [artist] })));
    }

    // Platform totals.
    const stats = await get("/stats");
    expect(stats).to.include({
      tracks: tracks.length,
      plays: str(await client.readContract({ ...nft, functionName: "totalPlays" })),
      batches: Number(nextBatchId - 1n),
      coins: launched.length,
      trades: swaps.length,
      volumeUsdc: str(swaps.reduce((sum, log) => sum + log.args.usdcAmount!, 0n)),
      vaultDeposited: str(deposits.reduce((sum, log) => sum + log.args.amount!, 0n)),
      vaultSettled: str(settled.reduce((sum, log) => sum + log.args.amount!, 0n)),
      revenueDeposited: str(revenueDeposited),
      launchThreshold: str(await client.readContract({ ...factory, functionName: "launchThreshold" })),
    });
  }

  it("npm run relayer -- verify passes for every committed batch", async function () {
    const nextBatchId = await client.readContract({ address: contracts.MusicNFT, abi: MusicNFTAbi, functionName: "nextBatchId" });
    expect(nextBatchId).to.be.greaterThan(1n);
    const relayerEnv = { ...env, RPC_URL: urls.rpc, CHAIN_ID: "31337", DATA_DIR: join(env.STACK_DATA_DIR!, "relayer") };
    for (let id = 1n; id < nextBatchId; id++) {
      const result = await runNpm(["run", "relayer", "--", "verify", str(id)], relayerEnv, 120_000);
      expect([str(id), result.code, result.output.trim().split("\n").at(-1)], result.output).to.deep.equal([str(id), 0, "OK"]);
    }
  });

  it("Ctrl-C stops the stack and every process it started", async function () {
    expect(pids).to.have.length(3);
    for (const pid of pids) expect(alive(pid), `pid ${pid} before Ctrl-C`).to.equal(true);
    const { code, signal } = await stack.interrupt(60_000);
    // npm re-raises the SIGINT its script got once the script has exited (as a shell expects), so either is clean.
    expect(code === 0 || signal === "SIGINT", `${code} ${signal}\n${stack.output()}`).to.equal(true);
    expect(stack.output()).to.match(/^stopped\.$/m);
    for (const pid of pids) expect(alive(pid), `pid ${pid} after Ctrl-C`).to.equal(false);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
