import { expect } from "chai";
import { concat, numberToHex } from "viem";
import { createChainReader } from "../../relayer/src/chain/reader.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { pruneRateCounters, REJECTION_CODES } from "../../relayer/src/plays/ingest.js";
import { loadRateCounters } from "../../relayer/src/plays/rate-counters.js";
import {
  BACKENDS,
  buildApp,
  countPlays,
  deployChain,
  DEFAULT_RULES,
  newListener,
  postPlays,
  randomNonce,
  signedItem,
  type Chain,
} from "./core.helpers.js";

const NOW = 1_900_000_000;
const OPERATOR_KEY = "operator-key-0123456789";

type Json = Record<string, any>;
const json = async (response: Response): Promise<Json> => (await response.json()) as Json;

for (const backend of BACKENDS) {
  describe(`relayer API (${backend.name})`, function () {
    this.timeout(120_000);
    let chain: Chain;
    let db: Database;
    let dispose: () => Promise<void>;
    let app: ReturnType<typeof buildApp>["app"];
    let domain: { chainId: number; musicNFT: `0x${string}` };

    before(async () => {
      chain = await deployChain(3);
      ({ db, dispose } = await backend.open());
      ({ app } = buildApp({ db, chain, now: NOW, operatorApiKey: OPERATOR_KEY }));
      domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
    });
    after(async () => dispose());

    const startedAt = BigInt(NOW - 600);

    it("accepts signed plays with 202, stores them durably, and reports them pending", async () => {
      const listener = newListener();
      const items = [
        await signedItem(listener, domain, { startedAt, trackId: 1n }),
        await signedItem(listener, domain, { startedAt, trackId: 2n, durationSeconds: 20 }),
      ];
      const response = await postPlays(app, items);
      expect(response.status).to.equal(202);
      const { results } = await json(response);
      expect(results).to.have.length(2);
      for (const result of results) {
        expect(result.status).to.equal("accepted");
        expect(result.id).to.match(/^[1-9][0-9]*$/);
      }
      const play = await json(await app.request(`/v1/plays/${results[0].id}`));
      expect(play).to.deep.include({ id: results[0].id, status: "pending", batchId: null, leaf: null, proof: null, leafPlay: null, signatureHash: null });
      expect(play.play).to.deep.include({
        listener: listener.address.toLowerCase(),
        trackId: "1",
        startedAt: startedAt.toString(),
        durationSeconds: 42,
        nonce: items[0].nonce,
        signature: items[0].signature,
      });
      expect(play.play.signatureHash).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("answers each item in request order; a rejected item stores nothing — every rejection code", async () => {
      const listener = newListener();
      const other = newListener();
      const ok = await signedItem(listener, domain, { startedAt });
      const forged = { ...(await signedItem(other, domain, { startedAt })), listener: listener.address };
      const cases: [unknown, string][] = [
        [{ ...ok, nonce: "0x1234" }, "invalid_play"],
        [forged, "invalid_signature"],
        [await signedItem(listener, domain, { startedAt, durationSeconds: 19 }), "too_short"],
        [await signedItem(listener, domain, { startedAt: startedAt - 100_000n, durationSeconds: 86_401 }), "too_long"],
        [await signedItem(listener, domain, { startedAt: BigInt(NOW + 61 - 30), durationSeconds: 30 }), "in_future"],
        [await signedItem(listener, domain, { startedAt: BigInt(NOW - 7 * 86_400 - 31), durationSeconds: 30 }), "too_old"],
        [await signedItem(listener, domain, { startedAt, trackId: 99n }), "unknown_track"],
        [await signedItem(listener, domain, { startedAt, trackId: 0n }), "unknown_track"],
      ];
      const before = await countPlays(db);
      const response = await postPlays(app, [...cases.map(([item]) => item), ok]);
      expect(response.status).to.equal(202);
      const { results } = await json(response);
      expect(results.map((result: Json) => result.code ?? result.status)).to.deep.equal([...cases.map(([, code]) => code), "accepted"]);
      expect(results[0].message).to.match(/nonce/);
      expect(await countPlays(db)).to.equal(before + 1);
      // The edges themselves are accepted: exactly the minimum length, the skew and the age limit.
      const edges = [
        await signedItem(listener, domain, { startedAt: BigInt(NOW + 60 - 20), durationSeconds: 20 }),
        await signedItem(listener, domain, { startedAt: BigInt(NOW - 7 * 86_400 - 30), durationSeconds: 30 }),
      ];
      const edgeResults = (await json(await postPlays(app, edges))).results;
      expect(edgeResults.map((result: Json) => result.status)).to.deep.equal(["accepted", "accepted"]);
    });

    it("refuses a nonce used before by the same listener, across requests and within one", async () => {
      const listener = newListener();
      const nonce = randomNonce();
      const first = await signedItem(listener, domain, { startedAt, nonce });
      expect((await json(await postPlays(app, [first]))).results[0].status).to.equal("accepted");
      const before = await countPlays(db);
      // Same nonce, different track: a new signature, still a reused nonce.
      const again = await signedItem(listener, domain, { startedAt, nonce, trackId: 2n });
      expect((await json(await postPlays(app, [first, again]))).results).to.deep.equal([
        { status: "rejected", code: "duplicate_nonce" },
        { status: "rejected", code: "duplicate_nonce" },
      ]);
      const fresh = randomNonce();
      const pair = [await signedItem(listener, domain, { startedAt, nonce: fresh }), await signedItem(listener, domain, { startedAt, nonce: fresh, trackId: 3n })];
      const results = (await json(await postPlays(app, pair))).results;
      expect(results[0].status).to.equal("accepted");
      expect(results[1]).to.deep.equal({ status: "rejected", code: "duplicate_nonce" });
      // Another listener may use the same nonce: nonces are per listener.
      expect((await json(await postPlays(app, [await signedItem(newListener(), domain, { startedAt, nonce })]))).results[0].status).to.equal(
        "accepted",
      );
      expect(await countPlays(db)).to.equal(before + 2);
    });

    it("gives every accepted play its own id, also when a replay in the request forces the slow path; stores the client address verbatim", async () => {
      const listener = newListener();
      const earlier = await signedItem(listener, domain, { startedAt });
      expect((await json(await postPlays(app, [earlier]))).results[0].status).to.equal("accepted");
      // A forwarded address with the characters COPY's text format escapes: backslash and tab.
      const ip = "10.9.8.7\\x\ty";
      for (const replay of [false, true]) {
        const fresh = await Promise.all(Array.from({ length: 5 }, (_, index) => signedItem(listener, domain, { startedAt: startedAt + BigInt(index) })));
        const items = replay ? [fresh[0], fresh[1], earlier, fresh[2], fresh[3], fresh[4]] : fresh;
        const { results } = await json(await postPlays(app, items, ip));
        expect(results.map((result: Json) => result.code ?? result.status)).to.deep.equal(
          items.map((item) => (item === earlier ? "duplicate_nonce" : "accepted")),
        );
        const ids = results.filter((result: Json) => result.status === "accepted").map((result: Json) => result.id);
        expect(new Set(ids).size).to.equal(5);
        for (const [at, id] of ids.entries()) {
          const { play } = await json(await app.request(`/v1/plays/${id}`));
          expect(play.nonce, `play ${at}`).to.equal(fresh[at].nonce);
          expect(play.startedAt).to.equal((startedAt + BigInt(at)).toString());
        }
        const { rows } = await db.query<{ client_ip: string }>(`SELECT DISTINCT client_ip FROM plays WHERE id = ANY($1::bigint[])`, [ids]);
        expect(rows).to.deep.equal([{ client_ip: ip }]);
      }
    });

    it("rate-limits a listener per track per hour and per day, and a client IP per minute", async () => {
      const { app: limited } = buildApp({
        db,
        chain,
        now: NOW,
        rules: { ...DEFAULT_RULES, listenerTrackPerHour: 2, listenerTrackPerDay: 3, ipPerMinute: 4 },
      });
      const listener = newListener();
      const hourStart = BigInt(Math.floor((NOW - 3 * 3600) / 3600) * 3600);
      const inHour = (offset: number, trackId = 1n) => signedItem(listener, domain, { startedAt: hourStart + BigInt(offset), trackId });
      const first = (await json(await postPlays(limited, [await inHour(0), await inHour(100), await inHour(200), await inHour(300, 2n)], "10.1.0.1"))).results;
      expect(first.map((r: Json) => r.code ?? r.status)).to.deep.equal(["accepted", "accepted", "rate_limited_listener", "accepted"]);
      // The next hour of the same day has room per hour, but the day allows only one more for track 1.
      const nextHour = (offset: number) => signedItem(listener, domain, { startedAt: hourStart + 3600n + BigInt(offset) });
      const second = (await json(await postPlays(limited, [await nextHour(0), await nextHour(100)], "10.1.0.2"))).results;
      expect(Number(hourStart) % 86_400).to.equal(14 * 3600, "both hours fall on one UTC day");
      expect(second.map((r: Json) => r.code ?? r.status)).to.deep.equal(["accepted", "rate_limited_listener"]);
      // Per IP: 4 plays a minute from one address, whoever the listeners are.
      const ip = "10.9.9.9";
      const many = await Promise.all(Array.from({ length: 5 }, () => signedItem(newListener(), domain, { startedAt })));
      const third = (await json(await postPlays(limited, many, ip))).results;
      expect(third.map((r: Json) => r.code ?? r.status)).to.deep.equal(["accepted", "accepted", "accepted", "accepted", "rate_limited_ip"]);
      const fourth = (await json(await postPlays(limited, [await signedItem(newListener(), domain, { startedAt })], ip))).results;
      expect(fourth[0]).to.deep.equal({ status: "rejected", code: "rate_limited_ip" });
      // The next minute starts a new window.
      const { app: later } = buildApp({ db, chain, now: NOW + 60, rules: { ...DEFAULT_RULES, ipPerMinute: 4 } });
      expect((await json(await postPlays(later, [await signedItem(newListener(), domain, { startedAt })], ip))).results[0].status).to.equal(
        "accepted",
      );
      // Windows past their expiry are pruned; live ones stay and still limit.
      const pruned = await pruneRateCounters({ db, now: NOW + 120 });
      expect(pruned).to.be.greaterThan(0);
      const { app: afterPrune } = buildApp({ db, chain, now: NOW + 120, rules: { ...DEFAULT_RULES, listenerTrackPerHour: 2, listenerTrackPerDay: 3 } });
      expect((await json(await postPlays(afterPrune, [await inHour(400)], "10.1.0.3"))).results[0]).to.deep.equal({
        status: "rejected",
        code: "rate_limited_listener",
      });
      if (backend.name === "PostgreSQL") {
        // Shared counters live in the database, where every relayer process sees them.
        const { rows } = await db.query<{ bucket: string }>(`SELECT bucket FROM rate_counters WHERE bucket LIKE 'ip:%'`);
        expect(rows).to.have.length(0);
        expect((await db.query(`SELECT 1 FROM rate_counters WHERE bucket LIKE 'lt:%'`)).rows.length).to.be.greaterThan(0);
      }
      // A restarted PGlite relayer rebuilds its in-memory windows from the stored plays: the same counts.
      const rebuilt = await loadRateCounters({ db, now: NOW, keepForSeconds: DEFAULT_RULES.maxPlaySeconds + DEFAULT_RULES.maxAgeSeconds + DEFAULT_RULES.clockSkewSeconds });
      const trackKey = `${listener.address.toLowerCase()}:1`;
      expect(rebuilt.get(`lt:h:${trackKey}:${hourStart / 3600n}`)).to.equal(2);
      expect(rebuilt.get(`lt:h:${trackKey}:${hourStart / 3600n + 1n}`)).to.equal(1);
      expect(rebuilt.get(`lt:d:${trackKey}:${hourStart / 86_400n}`)).to.equal(3);
      expect(rebuilt.get(`lt:h:${listener.address.toLowerCase()}:2:${hourStart / 3600n}`)).to.equal(1);
    });

    it("counts a duplicate's rate budget back: an item refused for the limit is accepted when the item before it was a replay", async () => {
      const { app: limited } = buildApp({ db, chain, now: NOW, rules: { ...DEFAULT_RULES, listenerTrackPerHour: 1 } });
      const listener = newListener();
      const hour = BigInt(Math.floor((NOW - 5 * 3600) / 3600) * 3600);
      const replayed = await signedItem(listener, domain, { startedAt: hour });
      expect((await json(await postPlays(app, [replayed]))).results[0].status).to.equal("accepted");
      // The next hour, same listener and track, one play allowed: the replayed nonce must not use it up.
      const again = await signedItem(listener, domain, { startedAt: hour + 3600n + 100n, nonce: replayed.nonce });
      const fresh = await signedItem(listener, domain, { startedAt: hour + 3600n + 10n });
      const { results } = await json(await postPlays(limited, [again, fresh]));
      expect(results.map((r: Json) => r.code ?? r.status)).to.deep.equal(["duplicate_nonce", "accepted"]);
    });

    it("refuses malformed JSON (400), an oversized body (413), too many plays and an empty list (400), storing nothing", async () => {
      const before = await countPlays(db);
      const malformed = await app.request("/v1/plays", { method: "POST", headers: { "content-type": "application/json" }, body: '{"plays": [' });
      expect(malformed.status).to.equal(400);
      expect(await json(malformed)).to.deep.equal({ error: { code: "invalid_json", message: "the request body is not valid JSON" } });

      const { app: small } = buildApp({ db, chain, now: NOW, bodyLimitBytes: 1024 });
      const item = await signedItem(newListener(), domain, { startedAt });
      const big = await postPlays(small, Array.from({ length: 10 }, () => item));
      expect(big.status).to.equal(413);
      expect((await json(big)).error.code).to.equal("body_too_large");

      const tooMany = await postPlays(app, [...Array.from({ length: 1000 }, () => ({})), item]);
      expect(tooMany.status).to.equal(400);
      expect(await json(tooMany)).to.deep.equal({ error: { code: "too_many_plays", message: "a request carries at most 1000 plays" } });

      const empty = await postPlays(app, []);
      expect(empty.status).to.equal(400);
      expect((await json(empty)).error.code).to.equal("invalid_request");

      const noPlays = await app.request("/v1/plays", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect((await json(noPlays)).error.code).to.equal("invalid_request");
      expect(await countPlays(db)).to.equal(before);
    });

    it("reads a text/plain body (what navigator.sendBeacon sends) as JSON; other types stay refused, storing nothing", async () => {
      const before = await countPlays(db);
      const item = await signedItem(newListener(), domain, { startedAt });
      // A string body would get text/plain from fetch's Request itself: bytes go without any type.
      const post = (type: string | undefined, body: string) =>
        app.request("/v1/plays", { method: "POST", headers: type === undefined ? {} : { "content-type": type }, body: type === undefined ? new TextEncoder().encode(body) : body });
      const beacon = await post("text/plain;charset=UTF-8", JSON.stringify({ plays: [item] }));
      expect(beacon.status).to.equal(202);
      expect((await json(beacon)).results[0].status).to.equal("accepted");
      expect(await countPlays(db)).to.equal(before + 1);

      const malformed = await post("text/plain", '{"plays": [');
      expect(malformed.status).to.equal(400);
      expect((await json(malformed)).error.code).to.equal("invalid_json");
      for (const type of ["application/x-www-form-urlencoded", "text/html", undefined]) {
        const refused = await post(type, JSON.stringify({ plays: [await signedItem(newListener(), domain, { startedAt })] }));
        expect(refused.status, String(type)).to.equal(400);
        expect((await json(refused)).error.code).to.equal("invalid_request");
      }
      expect(await countPlays(db)).to.equal(before + 1);
    });

    it("reports committed plays from the chain and pending ones from the database; a play's status follows its batch", async () => {
      const listener = newListener();
      const items = await Promise.all([0, 1, 2].map(() => signedItem(listener, domain, { startedAt, trackId: 3n })));
      const ids: string[] = (await json(await postPlays(app, items))).results.map((r: Json) => r.id);
      expect(await json(await app.request("/v1/tracks/3/plays"))).to.deep.equal({ trackId: "3", committed: "0", pending: "3" });

      // Commit 3 plays of track 3 on chain as batch 1, and record the batch the way the batcher will.
      const deltas = concat([numberToHex(3n, { size: 8 }), numberToHex(3, { size: 4 })]);
      const root = `0x${"ab".repeat(32)}`;
      await (await chain.contracts.musicNFT.connect(chain.relayer).commitPlays(1n, root, "bafy-test", deltas)).wait();
      await db.query(
        `INSERT INTO batches (id, status, root, deltas, sealed_at) VALUES (1, 'sealed', $1, $2, now())`,
        [root, deltas],
      );
      await db.query(`UPDATE plays SET batch_id = 1 WHERE id = ANY($1::bigint[])`, [ids.slice(0, 2)]);
      expect((await json(await app.request(`/v1/plays/${ids[0]}`))).status).to.equal("batched");
      expect((await json(await app.request(`/v1/plays/${ids[0]}`))).batchId).to.equal("1");
      await db.query(
        `UPDATE batches SET status = 'committed', cid = 'bafy-test', stored_at = now(), tx_hash = '0x01', submitted_at = now(),
                committed_at = now() WHERE id = 1`,
      );
      expect((await json(await app.request(`/v1/plays/${ids[0]}`))).status).to.equal("committed");
      expect((await json(await app.request(`/v1/plays/${ids[2]}`))).status).to.equal("pending");
      expect(await json(await app.request("/v1/tracks/3/plays"))).to.deep.equal({ trackId: "3", committed: "3", pending: "1" });
    });

    it("answers unknown ids and routes with 404 and bad ids with 400, in the one error shape", async () => {
      const missingPlay = await app.request("/v1/plays/999999999");
      expect(missingPlay.status).to.equal(404);
      expect(await json(missingPlay)).to.deep.equal({ error: { code: "not_found", message: "play 999999999 not found" } });
      const badId = await app.request("/v1/plays/abc");
      expect(badId.status).to.equal(400);
      expect((await json(badId)).error.code).to.equal("invalid_request");
      expect((await app.request("/v1/plays/99999999999999999999")).status).to.equal(400);
      const missingTrack = await app.request("/v1/tracks/77/plays");
      expect(missingTrack.status).to.equal(404);
      expect((await json(missingTrack)).error.code).to.equal("not_found");
      expect((await app.request("/v1/tracks/0/plays")).status).to.equal(400);
      const route = await app.request("/v1/nothing");
      expect(route.status).to.equal(404);
      expect((await json(route)).error.code).to.equal("not_found");
    });

    it("serves Prometheus metrics: accepted, rejected by code, pending, request durations", async () => {
      const { app: fresh } = buildApp({ db, chain, now: NOW });
      const listener = newListener();
      await postPlays(fresh, [await signedItem(listener, domain, { startedAt }), await signedItem(listener, domain, { startedAt, durationSeconds: 5 })]);
      const response = await fresh.request("/metrics");
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.match(/^text\/plain/);
      const text = await response.text();
      expect(text).to.contain("relayer_plays_accepted_total 1");
      expect(text).to.contain('relayer_plays_rejected_total{code="too_short"} 1');
      for (const code of REJECTION_CODES) expect(text).to.contain(`relayer_plays_rejected_total{code="${code}"}`);
      const pending = Number(/relayer_plays_pending (\d+)/.exec(text)?.[1]);
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM plays p LEFT JOIN batches b ON b.id = p.batch_id WHERE p.batch_id IS NULL OR b.status <> 'committed'`,
      );
      expect(pending).to.equal(Number(rows[0].n));
      expect(text).to.match(/relayer_http_request_duration_seconds_count\{method="POST",route="\/v1\/plays",status="202"\} 1/);
    });

    it("guards operator endpoints with the bearer key", async () => {
      const status = (headers: Record<string, string>) => app.request("/v1/admin/status", { headers });
      const none = await status({});
      expect(none.status).to.equal(401);
      expect((await json(none)).error.code).to.equal("unauthorized");
      expect((await status({ authorization: "Bearer wrong-key-0123456789" })).status).to.equal(401);
      expect((await status({ authorization: OPERATOR_KEY })).status).to.equal(401);
      const ok = await status({ authorization: `Bearer ${OPERATOR_KEY}` });
      expect(ok.status).to.equal(200);
      const body = await json(ok);
      expect(body.batches).to.deep.equal({ open: 0, sealed: 0, stored: 0, submitted: 0, committed: 1 });
      expect(body.pendingPlays).to.be.a("number").greaterThan(0);
      const { app: noKey } = buildApp({ db, chain, now: NOW });
      const disabled = await noKey.request("/v1/admin/status", { headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
      expect(disabled.status).to.equal(403);
      expect((await json(disabled)).error.code).to.equal("operator_api_disabled");
    });

    it("reports health: 200 with the database and chain up, 503 naming the chain when the RPC fails", async () => {
      const healthy = await app.request("/healthz");
      expect(healthy.status).to.equal(200);
      expect(await json(healthy)).to.deep.equal({ status: "ok", checks: { db: "ok", chain: "ok" } });
      const down = createChainReader({
        client: {
          readContract: () => Promise.reject(new Error("connection refused")),
          getChainId: () => Promise.reject(new Error("connection refused")),
        },
        musicNFT: chain.musicNFT,
      });
      const { app: broken } = buildApp({ db, chain, now: NOW, reader: down });
      const sick = await broken.request("/healthz");
      expect(sick.status).to.equal(503);
      const body = await json(sick);
      expect(body.status).to.equal("unavailable");
      expect(body.checks.db).to.equal("ok");
      expect(body.checks.chain).to.match(/^error: chain read failed \(chainId\): connection refused/);
      // With the chain down, a play for a track never seen cannot be checked: 503, nothing stored.
      const before = await countPlays(db);
      const refused = await postPlays(broken, [await signedItem(newListener(), domain, { startedAt })]);
      expect(refused.status).to.equal(503);
      expect((await json(refused)).error.code).to.equal("chain_unavailable");
      expect(await countPlays(db)).to.equal(before);
    });
  });
}
