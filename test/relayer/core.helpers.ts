import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { network } from "hardhat";
import { createPublicClient, custom, getAddress, zeroAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createApp, type CreateAppParameters } from "../../relayer/src/api/app.js";
import { createMetrics } from "../../relayer/src/api/metrics.js";
import { createChainReader } from "../../relayer/src/chain/reader.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { migrate } from "../../relayer/src/repo/db/migrations.js";
import { openPgliteThread } from "../../relayer/src/repo/db/pglite-thread.js";
import { openPostgres } from "../../relayer/src/repo/db/postgres.js";
import type { IngestRules } from "../../relayer/src/plays/ingest.js";
import { createTrackCatalog } from "../../relayer/src/plays/tracks.js";
import { PLAY_TYPES, playDomain, type Play } from "../../relayer/src/crypto/eip712.js";
import { createPlayVerifier } from "../../relayer/src/crypto/signatures.js";
import { createEngagementVerifier } from "../../relayer/src/crypto/engagement.js";
import { createArtistCatalog } from "../../relayer/src/engagement/artists.js";
import type { EngagementRules } from "../../relayer/src/engagement/ingest.js";
import { writeDeployments } from "../../relayer/src/deployments.js";
import type { DeployParameters } from "../../deploy/load-parameters.js";
import { deployProtocol } from "../helpers/protocol.js";

/** Set by scripts/ci-postgres.sh (through .ci/run); without it only the PGlite variants run. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

export type Backend = {
  name: "PGlite" | "PostgreSQL";
  /** A fresh, migrated database; `dispose` closes it (and drops it on PostgreSQL). */
  open(): Promise<{ db: Database; dispose(): Promise<void> }>;
};

/** PostgreSQL: a throwaway database per call on the CI cluster, dropped on dispose. */
export async function createPostgresDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `relayer_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export const BACKENDS: Backend[] = [
  {
    name: "PGlite",
    async open() {
      const db = await openPgliteThread();
      await migrate({ db });
      return { db, dispose: () => db.close() };
    },
  },
  ...(TEST_DATABASE_URL === undefined
    ? []
    : [
        {
          name: "PostgreSQL" as const,
          async open() {
            const database = await createPostgresDatabase(TEST_DATABASE_URL);
            const db = await openPostgres({ connectionString: database.url });
            await migrate({ db });
            return {
              db,
              async dispose() {
                await db.close();
                await database.drop();
              },
            };
          },
        },
      ]),
];

if (TEST_DATABASE_URL === undefined) {
  console.log("    (relayer: TEST_DATABASE_URL unset, PostgreSQL variants skipped; PGlite variants run)");
}

export async function tempDir(prefix = "relayer-test-"): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * An in-process chain with the whole protocol deployed and `tracks` tracks minted by account 2. `parameters` as for
 * `npm run deploy` (default: account #1 holds the three relayer jobs, as the relayer's default key).
 */
export async function deployChain(tracks = 3, parameters: DeployParameters = {}) {
  const connection = await network.create();
  const contracts = await deployProtocol(connection, parameters);
  const [, relayer, creator] = await connection.ethers.getSigners();
  for (let index = 0; index < tracks; index++) {
    await (await contracts.musicNFT.connect(creator).mintTrack(`ipfs://track-${index + 1}`, creator.address, 500)).wait();
  }
  const client = createPublicClient({ transport: custom(connection.provider) });
  const chainId = await client.getChainId();
  const musicNFT: Address = getAddress(await contracts.musicNFT.getAddress());
  return { connection, contracts, client, chainId, musicNFT, relayer, creator };
}
export type Chain = Awaited<ReturnType<typeof deployChain>>;

/**
 * Writes `<dir>/deployments/<chainId>.json` for `chain`, as the deploy step would, with MusicNFT, the factory and
 * any `more` contracts; returns that folder.
 */
export async function writeChainDeployments(chain: Chain, dir: string, more: Record<string, Address> = {}): Promise<string> {
  const deploymentsDir = `${dir}/deployments`;
  await writeDeployments({
    dir: deploymentsDir,
    deployments: {
      chainId: chain.chainId,
      contracts: {
        MusicNFT: { address: chain.musicNFT, startBlock: 0 },
        CreatorCoinFactory: { address: getAddress(await chain.contracts.factory.getAddress()), startBlock: 0 },
        ...Object.fromEntries(Object.entries(more).map(([name, address]) => [name, { address, startBlock: 0 }])),
      },
    },
  });
  return deploymentsDir;
}

export const DEFAULT_RULES: IngestRules = {
  minPlaySeconds: 20,
  maxPlaySeconds: 86_400,
  maxAgeSeconds: 7 * 86_400,
  clockSkewSeconds: 60,
  listenerTrackPerHour: 60,
  listenerTrackPerDay: 500,
  ipPerMinute: 100_000,
};

export const DEFAULT_ENGAGEMENT_RULES: EngagementRules = {
  maxAgeSeconds: 7 * 86_400,
  clockSkewSeconds: 60,
  fanPerHour: 600,
  fanPerDay: 5000,
  ipPerMinute: 100_000,
};

/** The engagement dependencies of the API over `chain`: real signature checks and MusicNFT's isCreator. */
export function engagementDeps(chain: Pick<Chain, "chainId" | "musicNFT">, reader: Pick<ReturnType<typeof createChainReader>, "isCreator">, rules: EngagementRules = DEFAULT_ENGAGEMENT_RULES) {
  return {
    verifier: createEngagementVerifier({ chainId: chain.chainId, musicNFT: chain.musicNFT }),
    artists: createArtistCatalog({ reader, negativeTtlMs: 0 }),
    rules,
    maxEventsPerRequest: 1000,
  };
}

/** The API over `db` and `chain` with the test's rules; the clock is pinned to `now`. */
export function buildApp({
  db,
  chain,
  now,
  rules = DEFAULT_RULES,
  operatorApiKey,
  bodyLimitBytes = 1024 * 1024,
  reader,
  engagementRules,
}: {
  db: Database;
  chain: Chain;
  now: number;
  rules?: IngestRules;
  engagementRules?: EngagementRules;
  operatorApiKey?: string;
  bodyLimitBytes?: number;
  reader?: ReturnType<typeof createChainReader>;
}) {
  const chainReader = reader ?? createChainReader({ client: chain.client, musicNFT: chain.musicNFT });
  const metrics = createMetrics({ db });
  const app = createApp({
    db,
    chainId: chain.chainId,
    reader: chainReader,
    tracks: createTrackCatalog({ reader: chainReader, refreshIntervalMs: 0 }),
    verifier: createPlayVerifier({ chainId: chain.chainId, musicNFT: chain.musicNFT }),
    metrics,
    rules,
    maxPlaysPerRequest: 1000,
    engagement: engagementDeps(chain, chainReader, engagementRules),
    bodyLimitBytes,
    operatorApiKey,
    trustProxy: true,
    now: () => now,
    logError: () => {},
  });
  return { app, metrics };
}

export function newListener(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey());
}

export function randomNonce(): Hex {
  return `0x${randomBytes(32).toString("hex")}`;
}

/** The JSON item a listener app would post: a real EIP-712 signature over the play. */
export async function signedItem(
  listener: PrivateKeyAccount,
  domain: { chainId: number; musicNFT: Address },
  fields: Partial<Omit<Play, "listener">> & { startedAt: bigint },
) {
  const play: Play = {
    listener: listener.address,
    trackId: fields.trackId ?? 1n,
    startedAt: fields.startedAt,
    durationSeconds: fields.durationSeconds ?? 42,
    nonce: fields.nonce ?? randomNonce(),
  };
  const signature = await listener.signTypedData({ domain: playDomain(domain), types: PLAY_TYPES, primaryType: "Play", message: play });
  return {
    listener: play.listener,
    trackId: play.trackId.toString(),
    startedAt: Number(play.startedAt),
    durationSeconds: play.durationSeconds,
    nonce: play.nonce,
    signature,
  };
}

export async function countPlays(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM plays`);
  return Number(rows[0]?.n);
}

export function postPlays(app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, plays: unknown[], ip = "10.0.0.1") {
  return app.request("/v1/plays", {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify({ plays }),
  });
}

/**
 * The app's dependencies with nothing behind them that reaches a chain: no track is minted, no address is an artist,
 * every play count is 0; the clock stands at 1,900,000,000. For tests of the HTTP surface itself (CORS, OpenAPI,
 * logging); `overrides` replace any of them.
 */
export function offlineAppDependencies(db: Database, overrides: Partial<CreateAppParameters> = {}): CreateAppParameters {
  return {
    db,
    chainId: 31337,
    reader: { playCount: async () => 0n, chainId: async () => 31337 },
    tracks: { minted: async () => new Set<bigint>() },
    verifier: createPlayVerifier({ chainId: 31337, musicNFT: zeroAddress }),
    metrics: createMetrics({ db }),
    rules: DEFAULT_RULES,
    maxPlaysPerRequest: 10,
    engagement: {
      verifier: createEngagementVerifier({ chainId: 31337, musicNFT: zeroAddress }),
      artists: { creators: async () => new Set() },
      rules: { maxAgeSeconds: 604_800, clockSkewSeconds: 60, fanPerHour: 600, fanPerDay: 5000, ipPerMinute: 100_000 },
      maxEventsPerRequest: 10,
    },
    bodyLimitBytes: 64 * 1024,
    operatorApiKey: "operator-key-0123456",
    trustProxy: false,
    now: () => 1_900_000_000,
    logError: () => {},
    ...overrides,
  };
}
