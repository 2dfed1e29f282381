import { createPublicClient, createWalletClient, custom, defineChain, getAddress, type Address } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createApp } from "../../relayer/src/api/app.js";
import { createMetrics, type RelayerMetrics } from "../../relayer/src/api/metrics.js";
import { createBatcher, type Batcher, type BatcherContext } from "../../relayer/src/pipeline/batches.js";
import { createChainReader } from "../../relayer/src/chain/reader.js";
import { createChainWriter } from "../../relayer/src/chain/writer.js";
import { createRevenueReader } from "../../relayer/src/chain/revenue.js";
import { loadConfig } from "../../relayer/src/config.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { createTrackCatalog } from "../../relayer/src/plays/tracks.js";
import { createPlayVerifier } from "../../relayer/src/crypto/signatures.js";
import type { SnapshotStore, StoredSnapshot } from "../../relayer/src/stores/snapshot-store.js";
import { DEFAULT_RULES, engagementDeps, type Chain } from "./core.helpers.js";

/** The relayer key the server uses by default (Hardhat account #1, which the Protocol module makes the relayer). */
export const RELAYER_KEY = loadConfig({ env: {} }).RELAYER_PRIVATE_KEY;

/** Switches that make the RPC or the snapshot store fail, as an outage would. */
export type Faults = { rpcDown: boolean; storeDown: boolean; storePuts: number };

/** A transport onto the in-process chain that throws like an unreachable node while `faults.rpcDown` is set. */
export function faultyTransport(chain: Chain, faults: Faults) {
  return custom(
    {
      async request(args: { method: string; params?: readonly unknown[] | object }) {
        if (faults.rpcDown) throw new Error("connect ECONNREFUSED 127.0.0.1:8545 (test outage)");
        return chain.connection.provider.request(args);
      },
    },
    // viem's own transport retries would hide the outage from the batcher's retry, which is what is under test.
    { retryCount: 0 },
  );
}

/** A snapshot store in memory (real CIDs via the wrapped store) that fails every put while `faults.storeDown` is set. */
export function faultyStore(inner: SnapshotStore, faults: Faults): SnapshotStore {
  return {
    async put(bytes): Promise<StoredSnapshot> {
      if (faults.storeDown) throw new Error("store unreachable (test outage)");
      faults.storePuts += 1;
      return inner.put(bytes);
    },
    get: (cid) => inner.get(cid),
    has: (cid) => inner.has(cid),
  };
}

export type BatcherRig = { ctx: BatcherContext; batcher: Batcher; metrics: RelayerMetrics; account: PrivateKeyAccount };

/**
 * A batcher over `db` and `chain`, as a fresh process would build it: no state but the database. Calling this
 * again over the same database is how the tests "restart" the relayer.
 */
export async function createRig({
  chain,
  db,
  store,
  faults,
  batchMax = 10_000,
  milestonePlays = 5_000n,
  milestoneFollowers,
  milestoneRevenue,
  key = RELAYER_KEY,
  metrics = createMetrics({ db }),
  receiptTimeoutMs = 5_000,
}: {
  chain: Chain;
  db: Database;
  store: SnapshotStore;
  faults: Faults;
  batchMax?: number;
  milestonePlays?: bigint;
  milestoneFollowers?: bigint;
  milestoneRevenue?: bigint;
  key?: `0x${string}`;
  metrics?: RelayerMetrics;
  receiptTimeoutMs?: number;
}): Promise<BatcherRig> {
  const transport = faultyTransport(chain, faults);
  const viemChain = defineChain({
    id: chain.chainId,
    name: "hardhat in-process",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } },
  });
  const account = privateKeyToAccount(key);
  const publicClient = createPublicClient({ chain: viemChain, transport });
  const writer = createChainWriter({
    publicClient,
    walletClient: createWalletClient({ chain: viemChain, transport, account }),
    musicNFT: { address: chain.musicNFT, startBlock: 0 },
    creatorCoinFactory: await factoryAddress(chain),
    retry: { attempts: 4, backoffMs: 20 },
    receiptTimeoutMs,
    pollingIntervalMs: 20,
    onError: (kind) => metrics.chainErrors.inc({ kind }),
  });
  const ctx: BatcherContext = {
    db,
    writer,
    store: faultyStore(store, faults),
    chainId: chain.chainId,
    musicNFT: chain.musicNFT,
    batchMax,
    milestonePlays,
    ...(milestoneFollowers === undefined ? {} : { milestoneFollowers }),
    ...(milestoneRevenue === undefined ? {} : { milestoneRevenue }),
    revenue: createRevenueReader({
      publicClient,
      vault: getAddress(await chain.contracts.vault.getAddress()),
      creatorCoinFactory: await factoryAddress(chain),
      startBlock: 0n,
      retry: { attempts: 4, backoffMs: 20 },
    }),
    onStorageError: () => metrics.storageErrors.inc(),
  };
  const batcher = createBatcher({ ctx, observeStep: (step, seconds) => metrics.batchStepDuration.observe({ step }, seconds) });
  return { ctx, batcher, metrics, account };
}

export async function factoryAddress(chain: Chain): Promise<Address> {
  return getAddress(await chain.contracts.factory.getAddress());
}

/** The API with a batcher behind `POST /v1/admin/flush`, its clock pinned to `now`. */
export function buildBatcherApp({ chain, db, rig, now, operatorApiKey }: { chain: Chain; db: Database; rig: BatcherRig; now: number; operatorApiKey: string }) {
  const reader = createChainReader({ client: chain.client, musicNFT: chain.musicNFT });
  return createApp({
    db,
    chainId: chain.chainId,
    reader,
    tracks: createTrackCatalog({ reader, refreshIntervalMs: 0 }),
    verifier: createPlayVerifier({ chainId: chain.chainId, musicNFT: chain.musicNFT }),
    metrics: rig.metrics,
    rules: { ...DEFAULT_RULES, ipPerMinute: 1_000_000 },
    maxPlaysPerRequest: 1000,
    engagement: engagementDeps(chain, reader),
    bodyLimitBytes: 1024 * 1024,
    operatorApiKey,
    trustProxy: true,
    now: () => now,
    batcher: rig.batcher,
    logError: () => {},
  });
}

/** Accepted plays per track in the database: what the chain must show once everything is committed. */
export async function storedPlaysPerTrack(db: Database): Promise<Map<bigint, bigint>> {
  const { rows } = await db.query<{ track_id: string; n: string }>(`SELECT track_id::text, count(*)::text AS n FROM plays GROUP BY track_id`);
  return new Map(rows.map((row) => [BigInt(row.track_id), BigInt(row.n)]));
}

export async function batchRow(db: Database, id: bigint) {
  const { rows } = await db.query<{ status: string; tx_hash: string | null; tx_nonce: string | null; cid: string | null; block_number: string | null; last_error: string | null }>(
    `SELECT status, tx_hash, tx_nonce::text, cid, block_number::text, last_error FROM batches WHERE id = $1`,
    [id.toString()],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`no batch ${id}`);
  return row;
}
