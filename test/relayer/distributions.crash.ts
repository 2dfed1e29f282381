import { expect } from "chai";
import { join, resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { createPublicClient, createWalletClient, encodePacked, http, keccak256, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { BeatStreamVaultAbi } from "../../indexer/abis/BeatStreamVault.js";
import { CreatorCoinFactoryAbi } from "../../indexer/abis/CreatorCoinFactory.js";
import { MockUSDCAbi } from "../../indexer/abis/MockUSDC.js";
import { MusicNFTAbi } from "../../indexer/abis/MusicNFT.js";
import { tempDir } from "./core.helpers.js";
import { startChild, startLocalNode, type LocalNode } from "./helpers/processes.js";

/**
 * The quarterly holder distribution, run by `relayer distribute` as a real process that is SIGKILLed right after its
 * record and submit steps (held there by the test-only RELAYER_TEST_DISTRIBUTION_HALT_AFTER) and run again over the
 * same PGlite directory: the creator's holder revenue reaches its coin exactly once per period, with one transaction.
 */
const ROOT = resolve(import.meta.dirname, "../..");
/** Hardhat accounts: #1 the relayer (committer and settler), #2 the creator of the node's tracks, #3 a listener. */
const RELAYER_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const CREATOR_KEY: Hex = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const LISTENER_KEY: Hex = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const RELAYER_ADDRESS = privateKeyToAccount(RELAYER_KEY).address;

describe("relayer distribute (real processes, PGlite on disk, SIGKILL after record / submit)", function () {
  this.timeout(400_000);

  let node: LocalNode | undefined;
  let contracts: { MusicNFT: Address; CreatorCoinFactory: Address; BeatStreamVault: Address; MockUSDC: Address };
  let coin: Address;
  const transport = () => http(node!.rpcUrl);
  const client = () => createPublicClient({ transport: transport(), chain: hardhat });
  const wallet = (key: Hex) => createWalletClient({ transport: transport(), account: privateKeyToAccount(key), chain: hardhat });
  const creator = privateKeyToAccount(CREATOR_KEY).address;
  const listener = privateKeyToAccount(LISTENER_KEY).address;
  let session = 0;

  async function send(key: Hex, request: Parameters<ReturnType<typeof wallet>["writeContract"]>[0]) {
    const hash = await wallet(key).writeContract(request);
    const receipt = await client().waitForTransactionReceipt({ hash, pollingInterval: 50 });
    expect(receipt.status).to.equal("success");
  }

  /** The listener pays `amount` to the creator through one settled voucher (sent by the settler key directly). */
  async function settleToCreator(amount: bigint) {
    const vault = contracts.BeatStreamVault;
    const sessionId = keccak256(encodePacked(["string", "uint256"], ["distribution-test", BigInt(++session)]));
    const voucher = { listener, artist: creator, sessionId, cumulativeAmount: amount, deadline: BigInt(Math.floor(Date.now() / 1000) + 86_400) };
    const signature = await wallet(LISTENER_KEY).signTypedData({
      domain: { name: "BeatStreamVault", version: "1", chainId: node!.chainId, verifyingContract: vault },
      types: { StreamVoucher: [{ name: "listener", type: "address" }, { name: "artist", type: "address" }, { name: "sessionId", type: "bytes32" }, { name: "cumulativeAmount", type: "uint256" }, { name: "deadline", type: "uint64" }] },
      primaryType: "StreamVoucher",
      message: voucher,
    });
    await send(RELAYER_KEY, { address: vault, abi: BeatStreamVaultAbi, functionName: "settle", args: [[voucher], signature], chain: hardhat });
  }

  const read = {
    accrued: () => client().readContract({ address: contracts.BeatStreamVault, abi: BeatStreamVaultAbi, functionName: "holderRevenueOf", args: [creator] }),
    period: () => client().readContract({ address: contracts.BeatStreamVault, abi: BeatStreamVaultAbi, functionName: "currentDistributionPeriod" }),
    next: () => client().readContract({ address: contracts.BeatStreamVault, abi: BeatStreamVaultAbi, functionName: "nextDistributionPeriod", args: [creator] }),
    coinUsdc: () => client().readContract({ address: contracts.MockUSDC, abi: MockUSDCAbi, functionName: "balanceOf", args: [coin] }),
    sent: async () => BigInt(String(await node!.rpc("eth_getTransactionCount", [RELAYER_ADDRESS, "pending"]))),
  };

  /** `relayer <args>` as its own process over `dataDir`; resolves with its output lines once it exits. */
  function cli(dataDir: string, args: string[], env: Record<string, string> = {}) {
    const child = startChild(`relayer ${args.join(" ")}`, ["--import", "tsx", join(ROOT, "relayer/src/cli.ts"), ...args], {
      env: { RPC_URL: node!.rpcUrl, CHAIN_ID: String(node!.chainId), DEPLOYMENTS_DIR: node!.deploymentsDir, DATA_DIR: dataDir, TX_RECEIPT_TIMEOUT_MS: "60000", ...env },
    });
    return { child };
  }

  async function runToEnd(dataDir: string, args: string[]): Promise<string> {
    const { child } = cli(dataDir, args);
    const line = await child.waitFor(/^\{/, 120_000);
    await child.exited;
    return line;
  }

  before(async function () {
    this.timeout(300_000);
    node = await startLocalNode({ tracks: 1 });
    const deployments = JSON.parse(await readFile(join(node.deploymentsDir, `${node.chainId}.json`), "utf8")) as { contracts: Record<string, { address: Address }> };
    contracts = {
      MusicNFT: deployments.contracts.MusicNFT!.address,
      CreatorCoinFactory: deployments.contracts.CreatorCoinFactory!.address,
      BeatStreamVault: deployments.contracts.BeatStreamVault!.address,
      MockUSDC: deployments.contracts.MockUSDC!.address,
    };
    // The creator reaches the launch threshold (the committer commits its plays directly) and launches its coin.
    const threshold = await client().readContract({ address: contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi, functionName: "launchThreshold" });
    const batchId = await client().readContract({ address: contracts.MusicNFT, abi: MusicNFTAbi, functionName: "nextBatchId" });
    const deltas = encodePacked(["uint64", "uint32"], [1n, Number(threshold)]);
    await send(RELAYER_KEY, { address: contracts.MusicNFT, abi: MusicNFTAbi, functionName: "commitPlays", args: [batchId, keccak256(deltas), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", deltas], chain: hardhat });
    await send(CREATOR_KEY, { address: contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi, functionName: "launchCoin", args: ["Holder Coin", "HOLD"], chain: hardhat });
    coin = await client().readContract({ address: contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi, functionName: "coinOf", args: [creator] });
    // Half of the creator's streaming revenue goes to its holders; the listener funds the vault.
    await send(CREATOR_KEY, { address: contracts.BeatStreamVault, abi: BeatStreamVaultAbi, functionName: "setHolderShare", args: [5_000n], chain: hardhat });
    await send(LISTENER_KEY, { address: contracts.MockUSDC, abi: MockUSDCAbi, functionName: "mint", args: [listener, 1_000_000_000n], chain: hardhat });
    await send(LISTENER_KEY, { address: contracts.MockUSDC, abi: MockUSDCAbi, functionName: "approve", args: [contracts.BeatStreamVault, 1_000_000_000n], chain: hardhat });
    await send(LISTENER_KEY, { address: contracts.BeatStreamVault, abi: BeatStreamVaultAbi, functionName: "deposit", args: [1_000_000_000n], chain: hardhat });
  });

  after(async () => {
    await node?.stop();
  });

  /** The next distribution period: the chain's clock moves one period on (3,600 s on the localhost parameters). */
  async function nextPeriod() {
    const periodSeconds = await client().readContract({ address: contracts.BeatStreamVault, abi: BeatStreamVaultAbi, functionName: "DISTRIBUTION_PERIOD" });
    await node!.rpc("evm_increaseTime", [Number(periodSeconds)]);
    await node!.rpc("evm_mine");
  }

  for (const step of ["record", "submit"] as const) {
    it(`SIGKILL after ${step}: the next run distributes the period's holder revenue once, with one transaction`, async () => {
      const dir = await tempDir("relayer-distribute-");
      try {
        await nextPeriod();
        await settleToCreator(200_000_000n);
        const accrued = await read.accrued();
        expect(accrued).to.equal(100_000_000n);
        const period = await read.period();
        const [coinBefore, sentBefore] = [await read.coinUsdc(), await read.sent()];

        // Submit: the transaction must still be unmined when the process dies, so it waits in the node's pool.
        if (step === "submit") await node!.rpc("evm_setAutomine", [false]);
        const first = cli(dir.path, ["distribute"], { RELAYER_TEST_DISTRIBUTION_HALT_AFTER: step });
        expect(await first.child.waitFor(/RELAYER_TEST_DISTRIBUTION_HALTED/, 120_000)).to.match(new RegExp(`step=${step} distribution=\\d+$`));
        await first.child.kill("SIGKILL");
        expect(await read.coinUsdc()).to.equal(coinBefore);

        const resumed = runToEnd(dir.path, ["distribute", "--json"]);
        if (step === "submit") {
          // The killed process's transaction is mined only now; the second run waits for it instead of sending again.
          await new Promise((done) => setTimeout(done, 3_000));
          await node!.rpc("evm_setAutomine", [true]);
          await node!.rpc("evm_mine");
        }
        const result = JSON.parse(await resumed) as { distributed: string[]; rows: { creator: string; period: string; status: string; amount: string }[] };
        expect(result.distributed).to.have.length(1);
        expect(result.rows[0]).to.deep.include({ creator: creator.toLowerCase(), period: period.toString(), status: "distributed", amount: accrued.toString() });
        expect((await read.coinUsdc()) - coinBefore).to.equal(accrued);
        expect(await read.accrued()).to.equal(0n);
        expect(await read.next()).to.equal(period + 1n);
        expect((await read.sent()) - sentBefore).to.equal(1n);

        // Again in the same period, with more accrued: nothing due, nothing sent.
        await settleToCreator(200_000_000n);
        const again = JSON.parse(await runToEnd(dir.path, ["distribute", "--json"])) as { distributed: string[]; skipped: string[] };
        expect(again).to.deep.include({ distributed: [], skipped: [] });
        expect((await read.sent()) - sentBefore).to.equal(2n); // the settle above, nothing else

        // `relayer status` shows the creator: accrued waiting, last period distributed, next due.
        const status = JSON.parse(await runToEnd(dir.path, ["status", "--json"])) as { distributions: { creators: { creator: string; accrued: string; lastPeriod: string; due: boolean; lastByRelayer: { status: string } }[] } };
        expect(status.distributions.creators).to.have.length(1);
        expect(status.distributions.creators[0]).to.deep.include({ creator: creator.toLowerCase(), accrued: "100000000", lastPeriod: period.toString(), due: false });
        expect(status.distributions.creators[0]!.lastByRelayer.status).to.equal("distributed");
        // Leave nothing for the next scenario's period but what it settles itself.
        await nextPeriod();
        await runToEnd(dir.path, ["distribute", "--json"]);
      } finally {
        await dir.remove();
      }
    });
  }
});
