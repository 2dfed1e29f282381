import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createPublicClient, createWalletClient, http, type Address, type PrivateKeyAccount } from "viem";
import { hardhat } from "viem/chains";
import { createStreamClient, type StreamClient } from "../../relayer/src/stream/client.js";
import { newListener, tempDir } from "./core.helpers.js";
import { freePort, OPERATOR_API_KEY, startLocalNode, startRelayer, type LocalNode, type RelayerProcess } from "./helpers/processes.js";
import { NodeWebSocket, usdcAbi, vaultTestAbi } from "./stream.helpers.js";

/**
 * The relayer process SIGKILLed mid-session (and, separately, right after it sent a settle transaction whose receipt
 * it never saw), restarted over the same PGlite directory and port: the client resumes, and the vault ends up paying
 * each session exactly the last voucher the relayer acknowledged — no more, no less, never twice.
 * Real processes: a Hardhat node, the deploy script, relayer servers, a client over a real socket.
 */
const RELAYER_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const DEPOSIT = 10_000_000n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("stream relayer crashes (real processes, PGlite on disk, SIGKILL)", function () {
  this.timeout(300_000);

  let node: LocalNode | undefined;
  let vault: Address;
  let usdc: Address;
  const children: RelayerProcess[] = [];

  before(async function () {
    this.timeout(240_000);
    node = await startLocalNode({ tracks: 1 });
    const deployments = JSON.parse(await readFile(join(node.deploymentsDir, `${node.chainId}.json`), "utf8")) as { contracts: Record<string, { address: Address }> };
    vault = deployments.contracts.BeatStreamVault!.address;
    usdc = deployments.contracts.MockUSDC!.address;
  });

  after(async () => {
    for (const child of children) await child.kill();
    await node?.stop();
  });

  const client = () => createPublicClient({ chain: hardhat, transport: http(node!.rpcUrl) });

  async function fundedListener(): Promise<PrivateKeyAccount> {
    const listener = newListener();
    await node!.rpc("hardhat_setBalance", [listener.address, "0x56BC75E2D63100000"]);
    const wallet = createWalletClient({ account: listener, chain: { ...hardhat, rpcUrls: { default: { http: [node!.rpcUrl] } } }, transport: http(node!.rpcUrl) });
    for (const hash of [
      await wallet.writeContract({ address: usdc, abi: usdcAbi, functionName: "mint", args: [listener.address, DEPOSIT] }),
      await wallet.writeContract({ address: usdc, abi: usdcAbi, functionName: "approve", args: [vault, DEPOSIT] }),
      await wallet.writeContract({ address: vault, abi: vaultTestAbi, functionName: "deposit", args: [DEPOSIT] }),
    ]) {
      await client().waitForTransactionReceipt({ hash, pollingInterval: 50 });
    }
    return listener;
  }

  async function relayer(dataDir: string, port: number, env: Record<string, string> = {}): Promise<RelayerProcess> {
    const started = await startRelayer({
      node: node!,
      dataDir,
      name: `relayer ${env.RELAYER_TEST_STREAM_HALT_AFTER ?? ""}`,
      env: { PORT: String(port), STREAM_VOUCHER_INTERVAL_SECONDS: "1", STREAM_SETTLE_INTERVAL_MS: "3600000", STREAM_SETTLE_ON_CLOSE_MS: "3600000", ...env },
    });
    children.push(started);
    // startRelayer names the port it picked; this test pins its own so the client can reconnect to it.
    return { ...started, url: `http://127.0.0.1:${port}` };
  }

  async function settleNow(target: { url: string }) {
    const response = await fetch(`${target.url}/v1/admin/settlements/flush`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR_API_KEY}` } });
    const body = (await response.json()) as { settled: string[]; failed: string[] };
    if (response.status !== 200) throw new Error(`flush answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  }

  const settledOnChain = (listener: Address, artist: Address, sessionId: `0x${string}`) =>
    client().readContract({ address: vault, abi: vaultTestAbi, functionName: "settledAmount", args: [listener, artist, sessionId] });

  function streamer(port: number, listener: PrivateKeyAccount): StreamClient {
    return createStreamClient({
      url: `ws://127.0.0.1:${port}/v1/stream`,
      account: listener,
      chainId: node!.chainId,
      vault,
      trackId: 1n,
      ratePerSecond: 1_000n,
      WebSocket: NodeWebSocket,
      reconnect: { attempts: 100, backoffMs: 100 },
    });
  }

  it("SIGKILL mid-session: the client resumes on the restarted relayer, and settlement pays exactly the last acknowledged voucher", async () => {
    const dir = await tempDir("relayer-stream-crash-");
    try {
      const port = await freePort();
      const first = await relayer(dir.path, port);
      const listener = await fundedListener();
      const stream = streamer(port, listener);
      const opened = await stream.start();
      await sleep(3_300);
      const ackedBefore = stream.spent();
      expect(ackedBefore > 0n).to.equal(true);
      const resumed = new Promise<{ resumed: boolean; cumulativeAmount: string }>((resolve) => stream.on("opened", (frame) => resolve(frame)));
      await first.kill("SIGKILL");
      const second = await relayer(dir.path, port);
      const frame = await resumed;
      // What the killed process acknowledged was on disk before the ack left: the resume starts exactly there.
      expect(frame.resumed).to.equal(true);
      expect(BigInt(frame.cumulativeAmount)).to.equal(stream.spent());
      expect(stream.spent() >= ackedBefore).to.equal(true);
      await sleep(2_200);
      const closed = await stream.stop();
      expect(closed.reason).to.equal("client_closed");
      const spent = stream.spent();
      expect(spent > ackedBefore).to.equal(true);
      const result = await settleNow(second);
      expect(result.failed).to.deep.equal([]);
      expect(await settledOnChain(listener.address, opened.artist, opened.sessionId)).to.equal(spent);
      await second.kill("SIGTERM");
    } finally {
      await dir.remove();
    }
  });

  it("SIGKILL after the settle transaction was sent, before its receipt: the restart waits for it, pays once", async () => {
    const chain = node!;
    const dir = await tempDir("relayer-stream-crash-");
    try {
      const port = await freePort();
      const first = await relayer(dir.path, port, { RELAYER_TEST_STREAM_HALT_AFTER: "submit" });
      const listener = await fundedListener();
      const stream = streamer(port, listener);
      const opened = await stream.start();
      await sleep(2_200);
      await stream.stop();
      const spent = stream.spent();
      expect(spent > 0n).to.equal(true);

      const sentBefore = BigInt(String(await chain.rpc("eth_getTransactionCount", [RELAYER_ADDRESS, "pending"])));
      await chain.rpc("evm_setAutomine", [false]);
      const halted = settleNow(first).catch(() => undefined);
      expect(await first.waitFor(/RELAYER_TEST_STREAM_HALTED/)).to.match(/RELAYER_TEST_STREAM_HALTED step=submit settlement=\d+$/);
      await first.kill("SIGKILL");
      await halted;
      expect(await settledOnChain(listener.address, opened.artist, opened.sessionId)).to.equal(0n);

      const second = await relayer(dir.path, port);
      const resumed = settleNow(second);
      // The killed process's transaction is mined only now; the restarted one waits for it instead of resending.
      await chain.rpc("evm_setAutomine", [true]);
      await chain.rpc("evm_mine");
      const result = await resumed;
      expect(result.settled.length).to.equal(1);
      expect(await settledOnChain(listener.address, opened.artist, opened.sessionId)).to.equal(spent);
      const sentAfter = BigInt(String(await chain.rpc("eth_getTransactionCount", [RELAYER_ADDRESS, "pending"])));
      expect(sentAfter - sentBefore).to.equal(1n);
      // Settling again pays nothing more.
      expect((await settleNow(second)).settled).to.deep.equal([]);
      expect(await settledOnChain(listener.address, opened.artist, opened.sessionId)).to.equal(spent);
      await second.kill("SIGTERM");
    } finally {
      await chain.rpc("evm_setAutomine", [true]).catch(() => undefined);
      await dir.remove();
    }
  });
});
