/**
 * Engagement ingestion in process (no HTTP, no chain: every track minted, every artist a creator), on PGlite and, with
 * TEST_DATABASE_URL, PostgreSQL: signature checks on a 2-thread pool as in the relayer, then the one transaction that
 * decides and stores a request's events and their state. Prints a table; writes nothing.
 *
 *   npm run bench:engagement            # REQUESTS=40 by default per row
 */
import { randomBytes } from "node:crypto";
import { bytesToHex, type Address } from "viem";
import { createEngagementVerifier } from "../../relayer/src/crypto/engagement.js";
import type { Engagement } from "../../relayer/src/crypto/eip712.js";
import { loadNativeSecp256k1 } from "../../relayer/src/crypto/signatures.js";
import { createVerifierPool } from "../../relayer/src/crypto/verify-pool.js";
import { ingestEngagement, type EngagementResult } from "../../relayer/src/engagement/ingest.js";
import { NO_VALUE } from "../../relayer/src/engagement/schema.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { migrate } from "../../relayer/src/repo/db/migrations.js";
import { openPgliteThread } from "../../relayer/src/repo/db/pglite-thread.js";
import { openPostgres } from "../../relayer/src/repo/db/postgres.js";
import { privateKeyToAddress } from "viem/accounts";
import { withPostgresDatabase } from "../shared.js";

const REQUESTS = Number(process.env.REQUESTS ?? 40);
const domain = { chainId: 31337, musicNFT: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address };
const NOW = Math.floor(Date.now() / 1000);
const ZERO32 = `0x${"0".repeat(64)}` as const;
const ARTIST = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" as Address;

const secp = loadNativeSecp256k1();
const hasher = createEngagementVerifier(domain);
const fans = Array.from({ length: 5000 }, () => {
  const key = randomBytes(32);
  return { key, address: privateKeyToAddress(bytesToHex(key)).toLowerCase() as Address };
});

/** A realistic mix: likes and saves, shares, downloads, play outcomes, follows; signed with the native addon. */
function event(index: number): Record<string, unknown> {
  const fan = fans[index % fans.length]!;
  const kind = index % 10;
  const base: Engagement = { fan: fan.address, action: "like", trackId: BigInt(1 + (index % 997)), artist: "0x0000000000000000000000000000000000000000", subject: ZERO32, text: "", value: 0, nonce: bytesToHex(randomBytes(32)), issuedAt: BigInt(NOW - 30) };
  const shaped: Engagement =
    kind < 3 ? base
    : kind < 5 ? { ...base, action: "save" }
    : kind === 5 ? { ...base, action: "share", text: "link" }
    : kind === 6 ? { ...base, action: "download" }
    : kind < 9 ? { ...base, action: "play_complete", subject: bytesToHex(randomBytes(32)), text: "playlist", value: 180 }
    : { ...base, action: "follow", trackId: 0n, artist: ARTIST };
  const { signature, recid } = secp.ecdsaSign(hasher.digest(shaped), fan.key);
  const bytes = new Uint8Array(65);
  bytes.set(signature, 0);
  bytes[64] = recid + 27;
  return { ...shaped, trackId: shaped.trackId.toString(), issuedAt: Number(shaped.issuedAt), value: shaped.value === NO_VALUE ? NO_VALUE : shaped.value, signature: bytesToHex(bytes) };
}

type Row = { store: string; size: number; requests: number; eventsPerSecond: number; p50: number; p99: number; accepted: number };

const pool = createVerifierPool({ ...domain, threads: 2 });
const verifier = createEngagementVerifier({ ...domain, signatures: pool });

async function run(store: string, db: Database, size: number): Promise<Row> {
  const rules = { maxAgeSeconds: 604_800, clockSkewSeconds: 60, fanPerHour: 1e9, fanPerDay: 1e9, ipPerMinute: 1e9 };
  const deps = { db, verifier, rules, tracks: { minted: async (ids: Iterable<bigint>) => new Set(ids) }, artists: { creators: async (accounts: Iterable<Address>) => new Set(accounts) } };
  let counter = 0;
  // One untimed request first: threads started, statements planned.
  await ingestEngagement({ ...deps, items: [event(counter++)], clientIp: "127.0.0.1", now: NOW });
  const requests = Array.from({ length: REQUESTS }, () => Array.from({ length: size }, () => event(counter++)));
  const times: number[] = [];
  let accepted = 0;
  const started = performance.now();
  for (const items of requests) {
    const t = performance.now();
    const results: EngagementResult[] = await ingestEngagement({ ...deps, items, clientIp: "127.0.0.1", now: NOW });
    times.push(performance.now() - t);
    accepted += results.filter((r) => r.status === "accepted").length;
  }
  const seconds = (performance.now() - started) / 1000;

  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { store, size, requests: REQUESTS, eventsPerSecond: Math.round((REQUESTS * size) / seconds), p50: at(0.5), p99: at(0.99), accepted };
}

const rows: Row[] = [];
const pglite = await openPgliteThread();
await migrate({ db: pglite });
for (const size of [1, 50, 1000]) rows.push(await run("PGlite", pglite, size));
await pglite.close();
const adminUrl = process.env.TEST_DATABASE_URL;
if (adminUrl) {
  await withPostgresDatabase(adminUrl, async (url) => {
    const db = await openPostgres({ connectionString: url });
    await migrate({ db });
    for (const size of [1, 50, 1000]) rows.push(await run("PostgreSQL", db, size));
    await db.close();
  });
}

await pool.close();
console.log(`\nengagement ingestion, in process, ${REQUESTS} sequential requests per row (signatures on 2 threads)\n`);
console.log("| store | events/request | events/s | request p50 ms | request p99 ms | accepted |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(`| ${row.store} | ${row.size} | ${row.eventsPerSecond} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.accepted}/${row.requests * row.size} |`);
