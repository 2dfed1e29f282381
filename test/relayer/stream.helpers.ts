import { createWalletClient, custom, defineChain, getAddress, parseAbi, type Address, type EIP1193Provider, type Hex, type PrivateKeyAccount } from "viem";
import WebSocket from "ws";
import { loadConfig } from "../../relayer/src/config.js";
import { startServer, type StartServerReturnType } from "../../relayer/src/server.js";
import { createStreamClient, type CreateStreamClientParameters, type StreamClient } from "../../relayer/src/stream/client.js";
import { STREAM_VOUCHER_TYPES, vaultDomain } from "../../relayer/src/crypto/eip712.js";
import { createPostgresDatabase, newListener, TEST_DATABASE_URL, tempDir, writeChainDeployments, type Chain } from "./core.helpers.js";

export const OPERATOR_KEY = "operator-key-0123456789";

export const usdcAbi = parseAbi([
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function balanceOf(address) view returns (uint256)",
]);
export const vaultTestAbi = parseAbi([
  "function deposit(uint256 amount)",
  "function balanceOf(address listener) view returns (uint256)",
  "function earningsOf(address artist) view returns (uint256)",
  "function settledAmount(address listener, address artist, bytes32 sessionId) view returns (uint256)",
  "function requestWithdrawal(uint256 amount)",
]);

/** The chain's vault and USDC addresses. */
export async function streamAddresses(chain: Chain): Promise<{ vault: Address; usdc: Address }> {
  return { vault: getAddress(await chain.contracts.vault.getAddress()), usdc: getAddress(await chain.contracts.usdc.getAddress()) };
}

/** `<dir>/deployments/<chainId>.json` with everything streaming needs (the vault and its USDC too). */
export async function writeStreamDeployments(chain: Chain, dir: string): Promise<string> {
  const { vault, usdc } = await streamAddresses(chain);
  return writeChainDeployments(chain, dir, { BeatStreamVault: vault, MockUSDC: usdc });
}

export type StreamRelayer = StartServerReturnType & { wsUrl: string; dispose(): Promise<void> };

/**
 * The real relayer server (HTTP and WebSocket on 127.0.0.1) over `chain`'s in-process provider, on PGlite in a
 * temporary directory or on a fresh PostgreSQL database. Test-sized defaults: vouchers every second, a long
 * settlement interval so tests settle by flushing.
 */
export async function startStreamRelayer(
  chain: Chain,
  { backend = "PGlite", env = {}, dataDir }: { backend?: "PGlite" | "PostgreSQL"; env?: Record<string, string>; /** Kept (not removed) on dispose. */ dataDir?: string } = {},
): Promise<StreamRelayer> {
  const owned = dataDir === undefined ? await tempDir("relayer-stream-") : undefined;
  const dir = { path: dataDir ?? owned!.path };
  const database = backend === "PostgreSQL" && TEST_DATABASE_URL !== undefined ? await createPostgresDatabase(TEST_DATABASE_URL) : undefined;
  const deploymentsDir = await writeStreamDeployments(chain, dir.path);
  const config = loadConfig({
    env: {
      PORT: "0",
      DATA_DIR: `${dir.path}/data`,
      DEPLOYMENTS_DIR: deploymentsDir,
      CHAIN_ID: String(chain.chainId),
      OPERATOR_API_KEY: OPERATOR_KEY,
      BATCH_INTERVAL_MS: "3600000",
      STREAM_VOUCHER_INTERVAL_SECONDS: "1",
      STREAM_SETTLE_INTERVAL_MS: "3600000",
      STREAM_SETTLE_ON_CLOSE_MS: "3600000",
      ...(database === undefined ? {} : { DATABASE_URL: database.url }),
      ...env,
    },
  });
  const server = await startServer({ config, transport: custom(chain.connection.provider), log: () => {} });
  return {
    ...server,
    wsUrl: `${server.url.replace(/^http/, "ws")}/v1/stream`,
    async dispose() {
      await server.close();
      await database?.drop();
      await owned?.remove();
    },
  };
}

/** A fresh listener with gas money and `deposit` USDC in the vault. */
export async function fundedListener(chain: Chain, deposit: bigint): Promise<PrivateKeyAccount> {
  const listener = newListener();
  await fund(chain, listener, deposit);
  return listener;
}

export async function fund(chain: Chain, listener: PrivateKeyAccount, deposit: bigint): Promise<void> {
  const { vault, usdc } = await streamAddresses(chain);
  const provider = chain.connection.provider as EIP1193Provider;
  await provider.request({ method: "hardhat_setBalance" as never, params: [listener.address, "0x56BC75E2D63100000"] as never });
  const wallet = createWalletClient({ account: listener, chain: testChain(chain.chainId), transport: custom(provider) });
  await wallet.writeContract({ address: usdc, abi: usdcAbi, functionName: "mint", args: [listener.address, deposit] });
  await wallet.writeContract({ address: usdc, abi: usdcAbi, functionName: "approve", args: [vault, deposit] });
  if (deposit > 0n) await wallet.writeContract({ address: vault, abi: vaultTestAbi, functionName: "deposit", args: [deposit] });
}

export function testChain(id: number) {
  return defineChain({ id, name: "test", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } } });
}

/** `ws`'s WebSocket with the one-argument constructor the client expects. */
export class NodeWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
  }
}

/** The vault's own record of what a session paid. */
export async function settledOnChain(chain: Chain, session: { listener: Address; artist: Address; sessionId: Hex }): Promise<bigint> {
  const { vault } = await streamAddresses(chain);
  return chain.client.readContract({ address: vault, abi: vaultTestAbi, functionName: "settledAmount", args: [session.listener, session.artist, session.sessionId] });
}

export async function vaultBalance(chain: Chain, listener: Address): Promise<bigint> {
  const { vault } = await streamAddresses(chain);
  return chain.client.readContract({ address: vault, abi: vaultTestAbi, functionName: "balanceOf", args: [listener] });
}

export async function streamClient(chain: Chain, relayer: { wsUrl: string }, listener: PrivateKeyAccount, options: Partial<CreateStreamClientParameters>): Promise<StreamClient> {
  const { vault } = await streamAddresses(chain);
  return createStreamClient({ url: relayer.wsUrl, account: listener, chainId: chain.chainId, vault, ratePerSecond: 100n, WebSocket: NodeWebSocket, ...options });
}

export async function flushSettlements(relayer: { url: string }): Promise<{ leased: boolean; settled: string[]; failed: string[] }> {
  const response = await fetch(`${relayer.url}/v1/admin/settlements/flush`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
  const body = (await response.json()) as { leased: boolean; settled: string[]; failed: string[] };
  if (response.status !== 200) throw new Error(`settlement flush answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** A raw socket that records every frame, for protocol tests that send what a real client never would. */
export type RawSocket = {
  send(frame: unknown): void;
  sendText(text: string): void;
  /** The next frame matching `predicate` (frames already received count). */
  next(predicate?: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
};
export type Frame = Record<string, any>;

export async function rawSocket(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  let cursor = 0;
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    frames.push(JSON.parse(data.toString()));
    for (const waiter of waiters) waiter();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return {
    frames,
    closed,
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendText: (text) => ws.send(text),
    close: () => ws.close(),
    next(predicate = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          while (cursor < frames.length) {
            const frame = frames[cursor++];
            if (predicate(frame)) {
              done();
              resolve(frame);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** A voucher signed with viem's own typed-data signer (the reference the relayer's native check must agree with). */
export async function signVoucher(listener: PrivateKeyAccount, chain: Chain, voucher: { artist: Address; sessionId: Hex; cumulativeAmount: bigint; deadline: bigint }): Promise<Hex> {
  const { vault } = await streamAddresses(chain);
  return listener.signTypedData({
    domain: vaultDomain({ chainId: chain.chainId, vault }),
    types: STREAM_VOUCHER_TYPES,
    primaryType: "StreamVoucher",
    message: { listener: listener.address, ...voucher },
  });
}
