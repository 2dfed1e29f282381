/**
 * Pieces every benchmark needs: a throwaway PostgreSQL database, an in-process chain served over HTTP, the relayer
 * server as a process of its own (with its deployments file), listener keys and signed plays, a JSON POST, and a
 * process's CPU time.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createServer, request, type Agent, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { bytesToHex, getAddress, keccak256, type Address, type Hex } from "viem";
import type { Play } from "../relayer/src/crypto/eip712.js";
import { loadNativeSecp256k1 } from "../relayer/src/crypto/signatures.js";
import { writeDeployments } from "../relayer/src/deployments.js";
import { askProbe, memoryBreakdown, type MemoryBreakdown } from "./relayer/memory.js";

/** Runs `fn` on a fresh database of the cluster at `adminUrl`, dropped afterwards whatever happens. */
export async function withPostgresDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

type Provider = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/** A JSON-RPC endpoint on 127.0.0.1 in front of an in-process provider, so a server process can reach the chain. */
export async function serveJsonRpc(provider: Provider): Promise<{ url: string; server: Server }> {
  const answer = async (call: { id?: unknown; method: string; params?: unknown[] }) => {
    try {
      return { jsonrpc: "2.0", id: call.id ?? null, result: await provider.request({ method: call.method, params: call.params ?? [] }) };
    } catch (error) {
      const { code = -32603, message = String(error), data } = (error ?? {}) as { code?: number; message?: string; data?: unknown };
      return { jsonrpc: "2.0", id: call.id ?? null, error: { code, message, data } };
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const reply = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply, (_, value) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * glibc returns freed memory of its per-thread arenas to the system only above this many bytes at an arena's top
 * (default 128 KiB on the main arena but, in practice, far more on the others, which the PGlite thread fills while
 * it opens the database): 131072 keeps ≈ 100–140 MB less resident in an idle relayer (bench/relayer/memory.ts). The
 * relayer runs as deployed: scripts/start.ts sets it too.
 */
export const MALLOC_TRIM_THRESHOLD = "131072";

export type StartRelayerProcessParameters = {
  /** Settings on top of this process's environment (PORT and HOST are set to a free port on 127.0.0.1). */
  env: Record<string, string>;
  /** Sees every line the server prints. */
  onLine?: (line: string) => void;
  /** Preloads bench/relayer/memory-probe.ts, so `memory()` can split the process's RSS by thread. */
  memoryProbe?: boolean;
};

export type RelayerProcess = {
  url: string;
  pid: number;
  cpuMs(): number;
  /** RSS by part (needs `memoryProbe`). */
  memory(): Promise<MemoryBreakdown>;
  stop(): Promise<void>;
};

/**
 * `relayer/src/server.ts` under node with tsx as a loader (not the tsx CLI, which runs the server in a second
 * process): one pid to measure. Resolves once it prints its URL.
 */
export async function startRelayerProcess({ env, onLine = () => {}, memoryProbe = false }: StartRelayerProcessParameters): Promise<RelayerProcess> {
  const probe = memoryProbe ? ["--import", "./bench/relayer/memory-probe.ts"] : [];
  const child = spawn(process.execPath, ["--import", "tsx", ...probe, "relayer/src/server.ts"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", MALLOC_TRIM_THRESHOLD_: process.env.MALLOC_TRIM_THRESHOLD_ ?? MALLOC_TRIM_THRESHOLD, ...env },
    stdio: ["ignore", "pipe", "inherit", ...(memoryProbe ? (["ipc"] as const) : [])],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server that never said it listens is not left running behind the benchmark.
      child.kill("SIGKILL");
      reject(new Error("relayer did not start within 60 s"));
    }, 60_000);
    child.once("exit", (code) => reject(new Error(`relayer exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /relayer listening on (http:\/\/\S+)/.exec(line);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
      onLine(line);
    });
  });
  return {
    url,
    pid: child.pid!,
    cpuMs: () => processCpuMs(child.pid!),
    async memory() {
      if (!memoryProbe) throw new Error("startRelayerProcess: memory() needs memoryProbe: true");
      return memoryBreakdown(child.pid!, await askProbe(child));
    },
    async stop() {
      // SIGTERM: the server finishes in-flight work and closes its database.
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

export type StartBenchRelayerParameters = Omit<StartRelayerProcessParameters, "env"> & {
  /** A fresh directory: the deployments file goes to `dir/deployments`, PGlite's data to `dir/data`. */
  dir: string;
  rpcUrl: string;
  chainId: number;
  /** Name → address, each deployed at block 0 (the relayer needs MusicNFT and CreatorCoinFactory). */
  contracts: Record<string, Address>;
  /** PostgreSQL; PGlite in `dir/data` when undefined. */
  databaseUrl?: string;
  /** Settings on top of the chain, deployments and store ones. */
  env?: Record<string, string>;
};

/** Writes the deployments file of `contracts` and starts the relayer on it, the chain at `rpcUrl` and its store. */
export async function startBenchRelayer({ dir, rpcUrl, chainId, contracts, databaseUrl, env = {}, ...rest }: StartBenchRelayerParameters): Promise<RelayerProcess> {
  const deploymentsDir = join(dir, "deployments");
  await writeDeployments({
    dir: deploymentsDir,
    deployments: { chainId, contracts: Object.fromEntries(Object.entries(contracts).map(([name, address]) => [name, { address, startBlock: 0 }])) },
  });
  return startRelayerProcess({
    ...rest,
    env: { RPC_URL: rpcUrl, CHAIN_ID: String(chainId), DEPLOYMENTS_DIR: deploymentsDir, DATA_DIR: join(dir, "data"), DATABASE_URL: databaseUrl ?? "", ...env },
  });
}

/** A random secp256k1 key (native addon) and its address. */
export function randomAccount(): { key: Uint8Array; address: Address } {
  const secp = loadNativeSecp256k1();
  let key: Uint8Array;
  do key = randomBytes(32);
  while (!secp.privateKeyVerify(key));
  return { key, address: getAddress(bytesToHex(keccak256(secp.publicKeyCreate(key, false).subarray(1), "bytes").subarray(12))) };
}

/** `key`'s 65-byte signature (r, s, v = 27 + recid) over a play's EIP-712 digest, as the relayer accepts it. */
export function signPlayDigest(digest: Uint8Array, key: Uint8Array): Hex {
  const { signature, recid } = loadNativeSecp256k1().ecdsaSign(digest, key);
  const packed = new Uint8Array(65);
  packed.set(signature);
  packed[64] = 27 + recid;
  return bytesToHex(packed);
}

/** A play as POST /v1/plays takes it (numbers and strings, not bigints). */
export type PlayItem = { listener: Address; trackId: string; startedAt: number; durationSeconds: number; nonce: Hex; signature: Hex };

/** `play` signed by `key` over `verifier`'s digest (the relayer's domain), in the request's shape. */
export function signedPlayItem(verifier: { digest(play: Play): Uint8Array }, play: Play, key: Uint8Array): PlayItem {
  const { trackId, startedAt, ...rest } = play;
  return { ...rest, trackId: trackId.toString(), startedAt: Number(startedAt), signature: signPlayDigest(verifier.digest(play), key) };
}

/** POSTs `body` (JSON) on `agent`'s keep-alive sockets; resolves with any status, rejects on a socket error or after `timeoutMs`. */
export function postJson(agent: Agent, url: URL, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time of process `pid` so far, in ms (Linux /proc). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of proc(5) (utime, stime) are the 12th and 13th after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The relayer's voucher-ack histogram from its /metrics (cumulative counts by upper bound `le`, in seconds). */
export async function scrapeAckHistogram(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<string, number>();
  for (const match of text.matchAll(/^relayer_stream_voucher_ack_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) buckets.set(match[1]!, Number(match[2]));
  return buckets;
}

/** The upper bound (ms) of the bucket holding quantile `q` of the observations between two scrapes, and their count. */
export function histogramQuantileMs(before: Map<string, number>, after: Map<string, number>, q: number): { ms: number; count: number } {
  const deltas = [...after].map(([le, count]) => [le, count - (before.get(le) ?? 0)] as const);
  const count = deltas.find(([le]) => le === "+Inf")?.[1] ?? 0;
  const hit = deltas.find(([, bucket]) => bucket >= q * count);
  return { ms: hit === undefined || hit[0] === "+Inf" ? Number.POSITIVE_INFINITY : Number(hit[0]) * 1000, count };
}
