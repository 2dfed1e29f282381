/**
 * Real processes for the crash and scale-out tests: a Hardhat node on a free port, the protocol deployed on it by
 * the real deploy script, and relayer servers run by Node (with tsx's loader) under chosen environment variables.
 * Every child is started in its own process group and killed by its id in `kill`/`stop`.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { createPublicClient, createWalletClient, http, parseAbi, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { spawnInGroup, type GroupChild } from "../../../scripts/stack/processes.js";
import { newListener, signedItem } from "../core.helpers.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const HARDHAT_CLI = join(ROOT, "node_modules/hardhat/dist/src/cli.js");

/** Hardhat test account #2: the creator that mints tracks in these tests (account #1 is the relayer). */
const CREATOR_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

export const musicNFTTestAbi = parseAbi([
  "function mintTrack(string uri, address royaltyReceiver, uint96 royaltyBps) returns (uint256)",
  "function playCount(uint256 trackId) view returns (uint256)",
  "function nextBatchId() view returns (uint256)",
]);

/** A port nobody listens on right now (the OS picks it), so parallel work on this machine never collides. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => done());
  });
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === "string") throw new Error("no port assigned");
  return address.port;
}

export type Child = GroupChild & {
  /** Resolves with the first output line matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` to the child's process group and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
};

export function startChild(name: string, args: string[], { env = {}, cwd = ROOT }: { env?: Record<string, string>; cwd?: string } = {}): Child {
  const child = spawnInGroup({ name, args, cwd, env: { ...process.env, ...env } });
  return {
    ...child,
    waitFor: (pattern, timeoutMs = 60_000) => child.waitFor(pattern, timeoutMs),
    async kill(signal = "SIGKILL") {
      if (!child.running()) return;
      child.signal(signal);
      await child.exited;
    },
  };
}

export type LocalNode = {
  rpcUrl: string;
  chainId: number;
  /** Where deployments/<chainId>.json was written (a temporary directory). */
  deploymentsDir: string;
  musicNFT: Address;
  child: Child;
  /** Raw JSON-RPC call (evm_setAutomine, evm_mine, ...). */
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  playCount(trackId: bigint): Promise<bigint>;
  nextBatchId(): Promise<bigint>;
  stop(): Promise<void>;
};

/**
 * `hardhat node` on a free port, the protocol deployed by `scripts/deploy.ts`, and `tracks` tracks minted.
 * The deploy script only knows the `localhost` network (port 8545), so it runs under a throwaway config that
 * extends the project's with `localhost` pointed at our port and Ignition's journal kept in a temporary directory;
 * run from that directory, it writes deployments/<chainId>.json there, never over the developer's own.
 */
export async function startLocalNode({ tracks }: { tracks: number }): Promise<LocalNode> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const child = startChild("hardhat node", [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)]);
  const scratch = join(ROOT, "cache", "relayer-processes");
  await mkdir(scratch, { recursive: true });
  const dir = await mkdtemp(join(scratch, "node-"));
  try {
    await child.waitFor(/Started HTTP and WebSocket JSON-RPC server/, 120_000);
    const config = join(dir, "hardhat.config.ts");
    await writeFile(
      config,
      `import base from ${JSON.stringify(join(ROOT, "hardhat.config.ts"))};
export default { ...base, paths: { ...base.paths, ignition: ${JSON.stringify(join(dir, "ignition"))} },
  networks: { ...base.networks, localhost: { type: "http", url: ${JSON.stringify(rpcUrl)} } } };
`,
    );
    const deploy = startChild("deploy", [HARDHAT_CLI, "--config", config, "run", join(ROOT, "scripts/deploy.ts"), "--network", "localhost"], { cwd: dir });
    await deploy.waitFor(/wrote /, 180_000);
    await deploy.kill("SIGTERM");
    const chainId = 31337;
    const deploymentsDir = join(dir, "deployments");
    const deployments = JSON.parse(await readFile(join(deploymentsDir, `${chainId}.json`), "utf8")) as { contracts: { MusicNFT: { address: Address } } };
    const musicNFT = deployments.contracts.MusicNFT.address;

    const transport = http(rpcUrl);
    const client = createPublicClient({ transport });
    const creator = createWalletClient({ transport, account: privateKeyToAccount(CREATOR_KEY), chain: hardhat });
    for (let index = 0; index < tracks; index++) {
      const hash = await creator.writeContract({ address: musicNFT, abi: musicNFTTestAbi, functionName: "mintTrack", args: [`ipfs://track-${index + 1}`, creator.account.address, 500n] });
      await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    }
    let id = 0;
    return {
      rpcUrl,
      chainId,
      deploymentsDir,
      musicNFT,
      child,
      async rpc(method, params = []) {
        const response = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }) });
        const body = (await response.json()) as { result?: unknown; error?: { message: string } };
        if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
        return body.result;
      },
      playCount: (trackId) => client.readContract({ address: musicNFT, abi: musicNFTTestAbi, functionName: "playCount", args: [trackId] }),
      nextBatchId: () => client.readContract({ address: musicNFT, abi: musicNFTTestAbi, functionName: "nextBatchId" }),
      async stop() {
        await child.kill("SIGKILL");
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export const OPERATOR_API_KEY = "operator-key-for-process-tests";

export type RelayerProcess = Child & { url: string };

/**
 * `relayer/src/server.ts` as its own Node process (tsx loaded in-process with --import, so the pid we kill is the
 * server itself), an hour-long batch interval so only flushes batch, and `env` on top. Resolves once it listens.
 */
export async function startRelayer({ node, dataDir, env = {}, name = "relayer" }: { node: LocalNode; dataDir: string; env?: Record<string, string>; name?: string }): Promise<RelayerProcess> {
  const port = await freePort();
  const child = startChild(name, ["--import", "tsx", join(ROOT, "relayer/src/server.ts")], {
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      RPC_URL: node.rpcUrl,
      CHAIN_ID: String(node.chainId),
      DEPLOYMENTS_DIR: node.deploymentsDir,
      DATA_DIR: dataDir,
      OPERATOR_API_KEY,
      BATCH_INTERVAL_MS: "3600000",
      TX_RECEIPT_TIMEOUT_MS: "60000",
      ...env,
    },
  });
  try {
    await child.waitFor(/relayer listening on /, 60_000);
  } catch (error) {
    await child.kill();
    throw error;
  }
  return { ...child, url: `http://127.0.0.1:${port}` };
}

export type FlushBody = { sealed: string | null; committed: string[]; batch: { id: string; status: string; plays: number } | null };

export async function flush(relayer: { url: string }): Promise<FlushBody> {
  const response = await fetch(`${relayer.url}/v1/admin/flush`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR_API_KEY}` } });
  const body = (await response.json()) as FlushBody;
  if (response.status !== 200) throw new Error(`flush answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export type StatusBody = { batches: Record<string, number>; pendingPlays: number };

export async function status(relayer: { url: string }): Promise<StatusBody> {
  const response = await fetch(`${relayer.url}/v1/admin/status`, { headers: { authorization: `Bearer ${OPERATOR_API_KEY}` } });
  return (await response.json()) as StatusBody;
}

/** Posts signed plays; returns how many the relayer accepted (status "accepted" in its 202 answer). */
export async function postPlays(relayer: { url: string }, items: unknown[]): Promise<number> {
  const response = await fetch(`${relayer.url}/v1/plays`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ plays: items }) });
  const body = (await response.json()) as { results?: { status: string }[] };
  if (response.status !== 202 || body.results === undefined) throw new Error(`POST /v1/plays answered ${response.status}: ${JSON.stringify(body)}`);
  return body.results.filter((result) => result.status === "accepted").length;
}

/** `count` plays of `trackId` signed by one fresh listener against the node's MusicNFT, ending in the last ten minutes. */
export async function signedPlaysOn(node: LocalNode, trackId: bigint, count: number) {
  const listener = newListener();
  const now = BigInt(Math.floor(Date.now() / 1000));
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      signedItem(listener, { chainId: node.chainId, musicNFT: node.musicNFT }, { trackId, startedAt: now - 600n - BigInt(index) }),
    ),
  );
}
