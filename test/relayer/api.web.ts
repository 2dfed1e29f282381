/**
 * What the web app needs from the relayer: CORS for its own origin (preflights included), and a committed batch's
 * snapshot served byte for byte so a browser can recompute the root and counts itself.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Hex } from "viem";
import { createApp, type CreateAppParameters } from "../../relayer/src/api/app.js";
import { loadConfig } from "../../relayer/src/config.js";
import { insertSealedBatch, markStored } from "../../relayer/src/repo/batches.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { LocalCasStore } from "../../relayer/src/stores/local-cas.js";
import { BACKENDS, DEFAULT_RULES, offlineAppDependencies } from "./core.helpers.js";

function app(db: Database, extra: Partial<CreateAppParameters> = {}) {
  return createApp(offlineAppDependencies(db, extra));
}

async function sealedBatch(db: Database, id: bigint): Promise<void> {
  await insertSealedBatch(db, {
    id,
    playCount: 0,
    trackCount: 0,
    root: `0x${"11".repeat(32)}` as Hex,
    deltas: "0x",
    previousCid: null,
    tracks: [],
    creators: [],
    playIds: [],
    leafIndexes: [],
    engagementIds: [],
    followerDeltas: [],
  });
}

describe("relayer API for the web app: CORS, snapshots and public settings", function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let dir: string;

  before(async () => {
    ({ db, dispose } = await BACKENDS[0]!.open());
    dir = await mkdtemp(join(tmpdir(), "relayer-web-"));
  });
  after(async () => {
    await dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a browser's preflight and requests from any origin by default (CORS_ORIGINS=*)", async () => {
    const api = app(db);
    const preflight = await api.request("/v1/plays", {
      method: "OPTIONS",
      headers: { origin: "http://127.0.0.1:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get("access-control-allow-origin")).to.equal("*");
    expect(preflight.headers.get("access-control-allow-methods")).to.include("POST");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).to.include("content-type");
    const list = await api.request("/v1/batches", { headers: { origin: "http://127.0.0.1:5173" } });
    expect(list.status).to.equal(200);
    expect(list.headers.get("access-control-allow-origin")).to.equal("*");
    // Errors carry the header too, or the page could not read the code.
    const missing = await api.request("/v1/batches/999", { headers: { origin: "http://127.0.0.1:5173" } });
    expect(missing.status).to.equal(404);
    expect(missing.headers.get("access-control-allow-origin")).to.equal("*");
  });

  it("allows only the listed origins when CORS_ORIGINS names them; operator routes still need the key", async () => {
    const config = loadConfig({ env: { CORS_ORIGINS: "http://app.example, http://127.0.0.1:4173" } });
    expect(config.CORS_ORIGINS).to.deep.equal(["http://app.example", "http://127.0.0.1:4173"]);
    expect(loadConfig({ env: {} }).CORS_ORIGINS).to.deep.equal(["*"]);
    const api = app(db, { corsOrigins: config.CORS_ORIGINS });
    const allowed = await api.request("/v1/batches", { headers: { origin: "http://127.0.0.1:4173" } });
    expect(allowed.headers.get("access-control-allow-origin")).to.equal("http://127.0.0.1:4173");
    const other = await api.request("/v1/batches", { headers: { origin: "http://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).to.equal(null);
    const preflight = await api.request("/v1/admin/status", {
      method: "OPTIONS",
      headers: { origin: "http://app.example", "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).to.include("authorization");
    expect((await api.request("/v1/admin/status", { headers: { origin: "http://app.example" } })).status).to.equal(401);
  });

  it("serves a stored batch's snapshot byte for byte with its CID; 404 before it is stored or for no batch; 400 for a bad id", async () => {
    const store = new LocalCasStore({ dir: join(dir, "snapshots") });
    const bytes = new TextEncoder().encode('{"batchId":"1","plays":[],"version":1}');
    const stored = await store.put(bytes);
    await sealedBatch(db, 1n);
    const api = app(db, { snapshots: store });
    const before = await api.request("/v1/batches/1/snapshot");
    expect(before.status).to.equal(404);
    expect(((await before.json()) as { error: { code: string; message: string } }).error).to.include({ code: "not_found" });
    await markStored(db, 1n, stored);
    const response = await api.request("/v1/batches/1/snapshot");
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/json");
    expect(response.headers.get("x-snapshot-cid")).to.equal(stored.cid);
    expect(new Uint8Array(await response.arrayBuffer())).to.deep.equal(bytes);
    expect((await api.request("/v1/batches/2/snapshot")).status).to.equal(404);
    const bad = await api.request("/v1/batches/0x1/snapshot");
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal("invalid_request");
    // Without a store (a relayer built without one) the route says so instead of failing obscurely.
    const storeless = await app(db).request("/v1/batches/1/snapshot");
    expect(storeless.status).to.equal(503);
    expect(((await storeless.json()) as { error: { code: string } }).error.code).to.equal("store_unavailable");
  });

  it("GET /v1/config names the milestone thresholds the batcher reports by and the qualifying play time, as the relayer is configured", async () => {
    const config = loadConfig({ env: { FOLLOWER_MILESTONE: "250", REVENUE_MILESTONE: "5000000", MILESTONE_PLAYS: "40", MIN_PLAY_SECONDS: "25" } });
    const api = app(db, {
      milestones: { plays: BigInt(config.MILESTONE_PLAYS), followers: BigInt(config.FOLLOWER_MILESTONE), revenue: BigInt(config.REVENUE_MILESTONE) },
      rules: { ...DEFAULT_RULES, minPlaySeconds: config.MIN_PLAY_SECONDS },
    });
    const response = await api.request("/v1/config", { headers: { origin: "http://127.0.0.1:4173" } });
    expect(response.status).to.equal(200);
    expect(response.headers.get("access-control-allow-origin")).to.equal("*");
    expect(await response.json()).to.deep.equal({ chainId: 31337, minPlaySeconds: 25, milestones: { plays: "40", followers: "250", revenue: "5000000" } });
    // The defaults, as docs/engagement.md states them.
    const defaults = loadConfig({ env: {} });
    expect([defaults.MILESTONE_PLAYS, defaults.FOLLOWER_MILESTONE, defaults.REVENUE_MILESTONE].map(String)).to.deep.equal(["5000", "1000", "1000000000"]);
    // A relayer built without a batcher reports no milestones rather than invented ones.
    expect(((await (await app(db).request("/v1/config")).json()) as { milestones: unknown }).milestones).to.equal(null);
  });
});
