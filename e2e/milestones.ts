/**
 * End to end, follower and revenue milestones on a local chain: `npm start` as a child process (own ports, data and
 * deployments, small FOLLOWER_MILESTONE and REVENUE_MILESTONE through the environment), then
 * - fans sign `follow` Engagement messages with their own wallets and post them to `POST /v1/engagement`; one signed
 *   play later the batch commits, the follower total crosses FOLLOWER_MILESTONE, and the relayer's one
 *   `updateCreatorMetrics` shows on chain (`creatorMetrics(creator).followers`, CreatorMetricsUpdated) and in the
 *   indexer (`GET /creators/:address`); `npm run relayer -- verify` passes for that batch, engagement included;
 * - a listener deposits USDC into the vault, streams to the creator over the relayer's WebSocket with signed
 *   vouchers, the relayer settles them on chain; at the next commit the revenue crosses REVENUE_MILESTONE, same checks.
 *
 * `npx hardhat test mocha e2e/milestones.ts` (not part of `npm test`: it starts the whole stack).
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createPublicClient, createWalletClient, http, parseAbi, parseEventLogs, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { BeatStreamVaultAbi } from "../indexer/abis/BeatStreamVault.js";
import { CreatorCoinFactoryAbi } from "../indexer/abis/CreatorCoinFactory.js";
import { MusicNFTAbi } from "../indexer/abis/MusicNFT.js";
import { createBeatStreamClient } from "../client/index.js";
import { createStreamClient } from "../relayer/src/stream/client.js";
import { waitForIndexer } from "../scripts/stack/simulation.js";
import { freePort } from "../test/relayer/helpers/processes.js";
import { runNpm, startNpm, stopStack, type NpmProcess } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "..");
const OPERATOR_KEY = "e2e-operator-key-milestones";
const FOLLOWERS = 5;
const REVENUE = 1_000_000n; // 1 USDC (6 decimals)
const usdcAbi = parseAbi(["function mint(address to, uint256 amount)", "function approve(address spender, uint256 amount) returns (bool)"]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("end to end: signed follows and settled streams fire follower and revenue milestones, on chain and in the indexer", function () {
  this.timeout(900_000);
  let dir: string;
  let env: Record<string, string>;
  let stack: NpmProcess;
  let pids: number[] = [];
  let urls: { rpc: string; relayer: string; indexer: string; ws: string };
  let addresses: { musicNFT: Address; factory: Address; vault: Address; usdc: Address };
  let client: ReturnType<typeof createPublicClient>;
  let creator: PrivateKeyAccount;
  let trackId: bigint;

  before(async function () {
    await mkdir(join(ROOT, "cache"), { recursive: true });
    dir = await mkdtemp(join(ROOT, "cache", "e2e-milestones-"));
    const [chainPort, relayerPort, indexerPort] = [await freePort(), await freePort(), await freePort()];
    urls = {
      rpc: `http://127.0.0.1:${chainPort}`,
      relayer: `http://127.0.0.1:${relayerPort}`,
      indexer: `http://127.0.0.1:${indexerPort}`,
      ws: `ws://127.0.0.1:${relayerPort}/v1/stream`,
    };
    env = {
      CHAIN_PORT: String(chainPort),
      RELAYER_PORT: String(relayerPort),
      INDEXER_PORT: String(indexerPort),
      STACK_DATA_DIR: join(dir, "data"),
      DEPLOYMENTS_DIR: join(dir, "deployments"),
      IGNITION_DEPLOYMENT_ID: `e2e-${randomBytes(4).toString("hex")}`,
      OPERATOR_API_KEY: OPERATOR_KEY,
      // The test decides when batches and settlements happen (the operator's flush), and only followers and revenue
      // may cross: plays never reach a multiple of MILESTONE_PLAYS here.
      BATCH_INTERVAL_MS: "3600000",
      STREAM_SETTLE_INTERVAL_MS: "3600000",
      MILESTONE_PLAYS: "1000000",
      FOLLOWER_MILESTONE: String(FOLLOWERS),
      REVENUE_MILESTONE: REVENUE.toString(),
    };
    stack = startNpm(["start"], env);
    const ready = await stack.waitFor(/^pids: chain (\d+), relayer (\d+), indexer (\d+)/, 600_000);
    pids = [...ready.matchAll(/\d+/g)].map((match) => Number(match[0]));
    await stack.waitFor(/^ready\./, 10_000);

    const deployments = JSON.parse(await readFile(join(env.DEPLOYMENTS_DIR!, "31337.json"), "utf8"));
    const address = (name: string): Address => deployments.contracts[name].address;
    addresses = { musicNFT: address("MusicNFT"), factory: address("CreatorCoinFactory"), vault: address("BeatStreamVault"), usdc: address("MockUSDC") };
    client = createPublicClient({ chain: hardhat, transport: http(urls.rpc) });

    // A creator of its own (not one of the stack's accounts): gas money, one minted track.
    creator = await fundedAccount();
    const receipt = await send(creator, (wallet) =>
      wallet.writeContract({ address: addresses.musicNFT, abi: MusicNFTAbi, functionName: "mintTrack", args: ["ipfs://e2e-milestones", creator.address, 500n] }),
    );
    const [minted] = parseEventLogs({ abi: MusicNFTAbi, logs: receipt.logs, eventName: "TrackMinted" });
    trackId = minted!.args.trackId;
  });

  after(async function () {
    await stopStack({ stack, pids, root: ROOT, ignitionDeploymentId: env?.IGNITION_DEPLOYMENT_ID, dir });
  });

  async function fundedAccount(): Promise<PrivateKeyAccount> {
    const account = privateKeyToAccount(generatePrivateKey());
    await rpc("hardhat_setBalance", [account.address, "0x56BC75E2D63100000"]);
    return account;
  }

  function walletOf(account: PrivateKeyAccount) {
    return createWalletClient({ account, chain: hardhat, transport: http(urls.rpc) });
  }

  async function send(account: PrivateKeyAccount, write: (wallet: ReturnType<typeof walletOf>) => Promise<Hex>) {
    const hash = await write(walletOf(account));
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    expect(receipt.status).to.equal("success");
    return receipt;
  }

  async function rpc(method: string, params: unknown[]): Promise<unknown> {
    const response = await fetch(urls.rpc, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  }

  async function post(path: string, body: unknown, operator = false): Promise<any> {
    const response = await fetch(`${urls.relayer}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(operator ? { authorization: `Bearer ${OPERATOR_KEY}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = await response.json();
    expect(response.status, `${path}: ${JSON.stringify(json)}`).to.be.oneOf([200, 202]);
    return json;
  }

  /** One qualifying play of the creator's track, signed by a fresh listener, so the period has a batch to commit. */
  async function postPlay(): Promise<void> {
    const listener = fanClient();
    const sent = listener.sendPlay({ trackId, startedAt: Math.floor(Date.now() / 1000) - 120, durationSeconds: 60 });
    expect(await listener.flush()).to.equal(0);
    const result = await sent;
    expect(result.status, JSON.stringify(result)).to.equal("accepted");
    await listener.close();
  }

  /** A dApp's client SDK for a fresh wallet: it signs, and sends when flushed. */
  function fanClient() {
    return createBeatStreamClient({ relayerUrl: urls.relayer, chainId: hardhat.id, musicNFT: addresses.musicNFT, wallet: privateKeyToAccount(generatePrivateKey()) });
  }

  /** The operator's flush until nothing is pending or unfinished; resolves with the newest committed batch id. */
  async function flush(): Promise<bigint> {
    for (let attempt = 0; attempt < 40; attempt++) {
      await post("/v1/admin/flush", {}, true);
      const response = await fetch(`${urls.relayer}/v1/admin/status`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
      const status = (await response.json()) as { batches: Record<string, number>; pendingPlays: number };
      if (status.pendingPlays === 0 && Object.entries(status.batches).every(([name, count]) => name === "committed" || count === 0)) {
        return (await client.readContract({ address: addresses.musicNFT, abi: MusicNFTAbi, functionName: "nextBatchId" })) - 1n;
      }
      await sleep(500);
    }
    throw new Error("the relayer did not finish its batches");
  }

  async function metricsOnChain() {
    return client.readContract({ address: addresses.factory, abi: CreatorCoinFactoryAbi, functionName: "creatorMetrics", args: [creator.address] });
  }

  async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
      await sleep(500);
    }
  }

  async function indexedCreator(): Promise<{ followers: string; revenue: string; reportedPlays: string; latestSnapshotCid: string | null }> {
    await waitForIndexer(urls.indexer, await client.getBlockNumber({ cacheTime: 0 }));
    const response = await fetch(`${urls.indexer}/creators/${creator.address.toLowerCase()}`);
    expect(response.status).to.equal(200);
    return (await response.json()) as any;
  }

  it("signed follows from many fan wallets push the creator past FOLLOWER_MILESTONE: on chain and in the indexer", async function () {
    // Each fan follows from its own wallet through the client SDK, as a dApp would.
    const fans = Array.from({ length: FOLLOWERS }, fanClient);
    const sent = fans.map((fan) => fan.follow(creator.address));
    await Promise.all(fans.map((fan) => fan.flush()));
    const results = await Promise.all(sent);
    expect(results.map((result) => `${result.status}:${result.status === "accepted" ? result.effect : ""}`)).to.deep.equal(Array(FOLLOWERS).fill("accepted:applied"));
    await Promise.all(fans.map((fan) => fan.close()));

    const before = await client.getBlockNumber({ cacheTime: 0 });
    await postPlay();
    const batchId = await flush();
    const metrics = await waitFor("creatorMetrics.followers", metricsOnChain, (value) => value.followers === BigInt(FOLLOWERS));
    expect(metrics.revenue).to.equal(0n);
    const plays = await client.readContract({ address: addresses.musicNFT, abi: MusicNFTAbi, functionName: "creatorPlays", args: [creator.address] });
    expect(metrics.plays).to.equal(plays);
    const logs = await client.getContractEvents({ address: addresses.factory, abi: CreatorCoinFactoryAbi, eventName: "CreatorMetricsUpdated", args: { creator: creator.address }, fromBlock: before, strict: true });
    expect(logs.map((log) => log.args.followers)).to.deep.equal([BigInt(FOLLOWERS)]); // sent once
    expect(logs[0]!.args.snapshotCid).to.equal(metrics.snapshotCid);

    const indexed = await waitFor("the indexer's creator", indexedCreator, (body) => body.followers === String(FOLLOWERS));
    expect(indexed).to.include({ followers: String(FOLLOWERS), revenue: "0", reportedPlays: plays.toString(), latestSnapshotCid: metrics.snapshotCid });

    // The batch's evidence carries the follows, and verify recomputes and re-checks them from public data.
    const relayerEnv = { ...env, RPC_URL: urls.rpc, CHAIN_ID: "31337", DATA_DIR: join(env.STACK_DATA_DIR!, "relayer") };
    const verified = await runNpm(["run", "relayer", "--", "verify", batchId.toString(), "--json"], relayerEnv, 120_000);
    const report = JSON.parse(verified.output.trim().split("\n").at(-1)!);
    expect(report, verified.output).to.deep.include({ ok: true, engagement: FOLLOWERS, differences: [] });
  });

  it("streamed and settled revenue pushes the creator past REVENUE_MILESTONE: on chain and in the indexer", async function () {
    const listener = await fundedAccount();
    const deposit = 3n * REVENUE;
    await send(listener, (wallet) => wallet.writeContract({ address: addresses.usdc, abi: usdcAbi, functionName: "mint", args: [listener.address, deposit] }));
    await send(listener, (wallet) => wallet.writeContract({ address: addresses.usdc, abi: usdcAbi, functionName: "approve", args: [addresses.vault, deposit] }));
    await send(listener, (wallet) => wallet.writeContract({ address: addresses.vault, abi: BeatStreamVaultAbi, functionName: "deposit", args: [deposit] }));

    // 0.25 USDC a second for about six seconds: past 1 USDC, within the deposit.
    const stream = createStreamClient({ url: urls.ws, account: listener, chainId: hardhat.id, vault: addresses.vault, trackId, artist: creator.address, ratePerSecond: REVENUE / 4n });
    await stream.start();
    await sleep(6_500);
    await stream.stop();
    expect(stream.spent() > REVENUE, `spent ${stream.spent()}`).to.equal(true);

    const before = await client.getBlockNumber({ cacheTime: 0 });
    await post("/v1/admin/settlements/flush", {}, true);
    const settled = await waitFor(
      "StreamSettled to the creator",
      async () => (await client.getContractEvents({ address: addresses.vault, abi: BeatStreamVaultAbi, eventName: "StreamSettled", args: { artist: creator.address }, fromBlock: 0n, strict: true })).reduce((sum, log) => sum + log.args.amount, 0n),
      (sum) => sum > REVENUE,
    );
    // Revenue counts at the next commit: one more play makes the period's batch.
    await postPlay();
    await flush();
    const metrics = await waitFor("creatorMetrics.revenue", metricsOnChain, (value) => value.revenue === settled);
    expect(metrics.followers).to.equal(BigInt(FOLLOWERS));
    const logs = await client.getContractEvents({ address: addresses.factory, abi: CreatorCoinFactoryAbi, eventName: "CreatorMetricsUpdated", args: { creator: creator.address }, fromBlock: before, strict: true });
    expect(logs.map((log) => [log.args.followers, log.args.revenue])).to.deep.equal([[BigInt(FOLLOWERS), settled]]);

    const indexed = await waitFor("the indexer's creator", indexedCreator, (body) => body.revenue === settled.toString());
    expect(indexed).to.include({ followers: String(FOLLOWERS), revenue: settled.toString(), latestSnapshotCid: metrics.snapshotCid });
  });
});
