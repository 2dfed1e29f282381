import { expect } from "chai";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { readAccessMessage } from "../../relayer/src/api/read-auth.js";
import { NO_VALUE } from "../../relayer/src/engagement/schema.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { countEngagementRows } from "../../relayer/src/repo/engagement.js";
import { BACKENDS, buildApp, countPlays, deployChain, newListener, postPlays, signedItem, type Chain } from "./core.helpers.js";
import { postEvents, randomId, signedEvent } from "./engagement.helpers.js";

const NOW = 1_900_000_000;
const T = BigInt(NOW - 600);

type Json = Record<string, any>;
const json = async (response: Response): Promise<Json> => (await response.json()) as Json;

for (const backend of BACKENDS) {
  describe(`relayer engagement API (${backend.name})`, function () {
    this.timeout(300_000);
    let chain: Chain;
    let db: Database;
    let dispose: () => Promise<void>;
    let app: ReturnType<typeof buildApp>["app"];
    let domain: { chainId: number; musicNFT: Address };
    let artist: Address;

    before(async () => {
      chain = await deployChain(3);
      ({ db, dispose } = await backend.open());
      ({ app } = buildApp({ db, chain, now: NOW, bodyLimitBytes: 256 * 1024 }));
      domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      artist = chain.creator.address as Address;
    });
    after(async () => dispose());

    const sign = (fan: ReturnType<typeof newListener>, action: Parameters<typeof signedEvent>[2], fields: Partial<Parameters<typeof signedEvent>[3]> = {}) =>
      signedEvent(fan, domain, action, { issuedAt: T, ...fields });
    const readAuth = async (fan: ReturnType<typeof newListener>, expiry: number, signer = fan) =>
      `BeatStream ${expiry}.${await signer.signMessage({ message: readAccessMessage(fan.address, expiry) })}`;

    it("answers POST /v1/engagement with 202 and one result per item, stored before the answer", async () => {
      const fan = newListener();
      const like = await sign(fan, "like", { trackId: 1n });
      const response = await postEvents(app, [like, await sign(fan, "like", { trackId: 1n }), await sign(fan, "like", { trackId: 9_999n })]);
      expect(response.status).to.equal(202);
      const { results } = await json(response);
      expect(results[0]).to.deep.include({ status: "accepted", effect: "applied" });
      expect(results[0].id).to.match(/^[1-9][0-9]*$/);
      expect(results[1]).to.deep.include({ status: "accepted", effect: "unchanged" });
      expect(results[2]).to.deep.equal({ status: "rejected", code: "unknown_track" });
      const { rows } = await db.query(`SELECT id::text, action, track_id::text, effective FROM engagement_events WHERE fan = $1 ORDER BY id`, [fan.address.toLowerCase()]);
      expect(rows).to.deep.equal([
        { id: results[0].id, action: "like", track_id: "1", effective: true },
        { id: results[1].id, action: "like", track_id: "1", effective: false },
      ]);
      // Hex in any case is stored lowercase, so a replay in another case is still a replay.
      const upper = { ...like, nonce: `0x${like.nonce.slice(2).toUpperCase()}`, fan: like.fan.toLowerCase() };
      expect((await json(await postEvents(app, [upper]))).results[0]).to.deep.equal({ status: "rejected", code: "duplicate_nonce" });
      const metrics = await (await app.request("/metrics")).text();
      expect(metrics).to.match(/relayer_engagement_accepted_total\{effect="applied"\} [1-9]/);
      expect(metrics).to.match(/relayer_engagement_rejected_total\{code="duplicate_nonce"\} 1/);
      expect(metrics).to.include('relayer_engagement_rejected_total{code="rate_limited_ip"} 0');
    });

    it("serves a track's comments newest first, page by page", async () => {
      const fans = [newListener(), newListener()];
      const ids: `0x${string}`[] = [];
      for (let index = 0; index < 5; index++) {
        const id = randomId();
        ids.push(id);
        const result = (await json(await postEvents(app, [await sign(fans[index % 2]!, "comment", { trackId: 3n, subject: id, text: `comment ${index}`, value: index === 0 ? NO_VALUE : index * 10 })]))).results[0];
        expect(result.effect).to.equal("applied");
      }
      await postEvents(app, [await sign(fans[1]!, "comment_delete", { trackId: 3n, subject: ids[3]! })]);
      const first = await json(await app.request("/v1/tracks/3/comments?limit=2"));
      expect(first.comments.map((c: Json) => c.body)).to.deep.equal(["comment 4", "comment 2"]);
      expect(first.comments[0]).to.deep.include({ id: ids[4], fan: fans[0]!.address.toLowerCase(), positionSeconds: 40, issuedAt: T.toString() });
      const second = await json(await app.request(`/v1/tracks/3/comments?limit=2&cursor=${first.nextCursor}`));
      expect(second.comments.map((c: Json) => c.body)).to.deep.equal(["comment 1", "comment 0"]);
      expect(second.comments[1].positionSeconds).to.equal(null);
      const third = await json(await app.request(`/v1/tracks/3/comments?limit=2&cursor=${second.nextCursor}`));
      expect(third).to.deep.equal({ trackId: "3", comments: [], nextCursor: null });
    });

    it("shows a public playlist to anyone and a private one only to its owner's read-access proof", async () => {
      const owner = newListener();
      const stranger = newListener();
      const open = randomId();
      const hidden = randomId();
      await postEvents(app, [
        await sign(owner, "playlist_create", { subject: open, text: "Open", value: 1 }),
        await sign(owner, "playlist_add", { subject: open, trackId: 2n, value: NO_VALUE }),
        await sign(owner, "playlist_add", { subject: open, trackId: 1n, value: NO_VALUE }),
        await sign(owner, "playlist_create", { subject: hidden, text: "Hidden", value: 0 }),
      ]);
      const shown = await json(await app.request(`/v1/playlists/${open}`));
      expect(shown).to.deep.equal({ id: open, owner: owner.address.toLowerCase(), name: "Open", public: true, createdAt: T.toString(), updatedAt: T.toString(), tracks: ["2", "1"] });
      expect((await app.request(`/v1/playlists/${hidden}`)).status).to.equal(404);
      const proof = await readAuth(owner, NOW + 3600);
      const mine = await app.request(`/v1/playlists/${hidden}`, { headers: { authorization: proof } });
      expect(mine.status).to.equal(200);
      expect((await json(mine)).name).to.equal("Hidden");
      const refused: [string, string][] = [
        [await readAuth(owner, NOW - 1), "read_auth_expired"],
        [await readAuth(owner, NOW + 3600, stranger), "read_auth_wrong_signer"],
        [await readAuth(stranger, NOW + 3600), "read_auth_wrong_signer"],
        [await readAuth(owner, NOW + 31 * 86_400), "read_auth_invalid"],
        [`BeatStream ${NOW + 3600}.0x${"11".repeat(65)}`, "read_auth_invalid"],
        [`Bearer ${NOW + 3600}`, "read_auth_invalid"],
      ];
      for (const [header, code] of refused) {
        const response = await app.request(`/v1/playlists/${hidden}`, { headers: { authorization: header } });
        expect(response.status, code).to.equal(401);
        expect((await json(response)).error.code).to.equal(code);
      }
      // The fan's list: public ones for anyone, private ones too with the proof; a bad proof is a 401, not a quiet fallback.
      const anonymous = await json(await app.request(`/v1/fans/${owner.address}/playlists`));
      expect(anonymous.playlists.map((p: Json) => p.name)).to.deep.equal(["Open"]);
      expect(anonymous.playlists[0].tracks).to.equal(2);
      const own = await json(await app.request(`/v1/fans/${owner.address}/playlists`, { headers: { authorization: proof } }));
      expect(own.playlists.map((p: Json) => p.name)).to.deep.equal(["Hidden", "Open"]);
      expect((await app.request(`/v1/fans/${stranger.address}/playlists`, { headers: { authorization: proof } })).status).to.equal(401);
      await postEvents(app, [await sign(owner, "playlist_delete", { subject: open, issuedAt: T + 1n })]);
      expect((await app.request(`/v1/playlists/${open}`)).status).to.equal(404);
    });

    it("gives a fan its likes, saves, follows and listening history, newest first, with play outcomes", async () => {
      const fan = newListener();
      await postEvents(app, [
        await sign(fan, "like", { trackId: 1n }),
        await sign(fan, "like", { trackId: 2n }),
        await sign(fan, "like", { trackId: 3n }),
        await sign(fan, "unlike", { trackId: 2n, issuedAt: T + 1n }),
        await sign(fan, "save", { trackId: 3n }),
        await sign(fan, "follow", { artist }),
      ]);
      const likes = await json(await app.request(`/v1/fans/${fan.address}/likes?limit=1`));
      expect(likes.tracks.map((t: Json) => t.trackId)).to.deep.equal(["3"]);
      const more = await json(await app.request(`/v1/fans/${fan.address.toLowerCase()}/likes?limit=1&cursor=${likes.nextCursor}`));
      expect(more.tracks.map((t: Json) => t.trackId)).to.deep.equal(["1"]);
      expect((await json(await app.request(`/v1/fans/${fan.address}/likes?limit=1&cursor=${more.nextCursor}`))).tracks).to.deep.equal([]);
      expect((await json(await app.request(`/v1/fans/${fan.address}/saves`))).tracks.map((t: Json) => t.trackId)).to.deep.equal(["3"]);
      const follows = await json(await app.request(`/v1/fans/${fan.address}/follows`));
      expect(follows).to.deep.include({ fan: fan.address.toLowerCase(), nextCursor: null });
      expect(follows.artists.map((a: Json) => a.artist)).to.deep.equal([artist.toLowerCase()]);

      // Two plays of track 1 and one of track 2; the client reported how the first of track 1 and the one of track 2 ended.
      const plays = [
        await signedItem(fan, domain, { startedAt: T - 1000n, trackId: 1n, durationSeconds: 30 }),
        await signedItem(fan, domain, { startedAt: T - 500n, trackId: 2n, durationSeconds: 20 }),
        await signedItem(fan, domain, { startedAt: T - 100n, trackId: 1n, durationSeconds: 25 }),
      ];
      expect((await json(await postPlays(app, plays))).results.every((r: Json) => r.status === "accepted")).to.equal(true);
      const session = randomId();
      await postEvents(app, [
        await sign(fan, "play_complete", { trackId: 1n, subject: session, text: "search", value: 180, issuedAt: T - 820n }),
        await sign(fan, "play_skip", { trackId: 2n, subject: session, text: "radio", value: 31, issuedAt: T - 469n }),
      ]);
      const history = await json(await app.request(`/v1/fans/${fan.address}/history?limit=2`));
      expect(history.plays.map((p: Json) => [p.trackId, p.outcome?.action ?? null])).to.deep.equal([
        ["1", null],
        ["2", "play_skip"],
      ]);
      expect(history.plays[1].outcome).to.deep.equal({ action: "play_skip", source: "radio", seconds: 31, sessionId: session, issuedAt: (T - 469n).toString() });
      const rest = await json(await app.request(`/v1/fans/${fan.address}/history?limit=2&cursor=${history.nextCursor}`));
      expect(rest.plays).to.have.length(1);
      expect(rest.plays[0]).to.deep.include({ trackId: "1", startedAt: (T - 1000n).toString(), durationSeconds: 30 });
      expect(rest.plays[0].outcome).to.deep.include({ action: "play_complete", source: "search", seconds: 180 });
      expect(rest.nextCursor).to.equal(null);
    });

    it("refuses a bad-input corpus on every new endpoint with a 4xx or a rejected result and its code, and stores nothing", async () => {
      const fan = newListener();
      const playlist = randomId();
      await postEvents(app, [await sign(fan, "playlist_create", { subject: playlist, text: "kept", value: 0 })]);
      const replay = await sign(fan, "like", { trackId: 1n });
      await postEvents(app, [replay]);
      const stranger = privateKeyToAccount(generatePrivateKey());
      const before = { ...(await countEngagementRows(db)), plays: await countPlays(db) };

      const ok = await sign(fan, "like", { trackId: 2n });
      const item = (patch: Json) => ({ ...ok, ...patch });
      const rejectedItems: [unknown, string][] = [
        [replay, "duplicate_nonce"],
        [{ ...(await sign(stranger, "like", { trackId: 2n })), fan: fan.address }, "invalid_signature"],
        [item({ signature: `0x${"00".repeat(65)}` }), "invalid_signature"],
        [item({ fan: "0x1234" }), "invalid_event"],
        [item({ action: "LIKE" }), "invalid_event"],
        [item({ trackId: -1 }), "invalid_event"],
        [item({ trackId: 1.5 }), "invalid_event"],
        [item({ trackId: "0x02" }), "invalid_event"],
        [item({ trackId: (1n << 256n).toString() }), "invalid_event"],
        [item({ value: 2 ** 32 }), "invalid_event"],
        [item({ issuedAt: (1n << 64n).toString() }), "invalid_event"],
        [item({ nonce: "0x12" }), "invalid_event"],
        [item({ subject: "nope" }), "invalid_event"],
        [item({ text: 7 }), "invalid_event"],
        [item({ text: "x".repeat(2001) }), "invalid_event"],
        [item({ signature: undefined }), "invalid_event"],
        [{ ...ok, extra: undefined, fan: undefined }, "invalid_event"],
        [null, "invalid_event"],
        ["like", "invalid_event"],
        [[ok], "invalid_event"],
        [await sign(fan, "comment", { trackId: 1n, subject: randomId(), text: "\ud800 lone" }), "invalid_event"],
        [await sign(fan, "comment", { trackId: 1n, subject: randomId(), text: "" }), "invalid_event"],
        [await sign(fan, "playlist_create", { subject: randomId(), text: "n".repeat(101), value: 1 }), "invalid_event"],
        [await sign(fan, "play_complete", { trackId: 1n, subject: randomId(), text: "tv", value: 10 }), "invalid_event"],
        [await sign(fan, "download", { trackId: 1n, value: 3 }), "invalid_event"],
        [await sign(fan, "follow", { artist, trackId: 1n }), "invalid_event"],
        [await sign(fan, "like", { trackId: 1n, issuedAt: BigInt(NOW + 3600) }), "in_future"],
        [await sign(fan, "like", { trackId: 1n, issuedAt: 1n }), "too_old"],
        [await sign(fan, "like", { trackId: 12_345n }), "unknown_track"],
        [await sign(fan, "follow", { artist: stranger.address }), "unknown_artist"],
        [await sign(fan, "playlist_rename", { subject: randomId(), text: "x" }), "unknown_playlist"],
        [await sign(stranger, "playlist_add", { subject: playlist, trackId: 1n }), "not_owner"],
        [await sign(fan, "comment_delete", { trackId: 1n, subject: randomId() }), "unknown_comment"],
      ];
      const { results } = await json(await postEvents(app, rejectedItems.map(([bad]) => bad)));
      expect(results.map((r: Json) => r.code ?? r.status)).to.deep.equal(rejectedItems.map(([, code]) => code));
      for (const result of results) if (result.code === "invalid_event") expect(result.message, JSON.stringify(result)).to.be.a("string").and.not.equal("");

      const raw = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) => app.request("/v1/engagement", { method: "POST", headers, body });
      const address = fan.address;
      const requests: [string, () => Response | Promise<Response>, number, string][] = [
        ["not JSON", () => raw("{events:"), 400, "invalid_json"],
        ["no events", () => raw(JSON.stringify({ plays: [ok] })), 400, "invalid_request"],
        ["events not an array", () => raw(JSON.stringify({ events: ok })), 400, "invalid_request"],
        ["empty events", () => raw(JSON.stringify({ events: [] })), 400, "invalid_request"],
        ["too many events", () => raw(JSON.stringify({ events: Array.from({ length: 1001 }, () => 1) })), 400, "too_many_events"],
        ["body too large", () => raw(JSON.stringify({ events: [item({ text: "x".repeat(300 * 1024) })] })), 413, "body_too_large"],
        // text/plain is read as JSON here (what navigator.sendBeacon sends; test/client/roundtrip.ts): any other type is refused.
        ["wrong content type", () => raw(JSON.stringify({ events: [ok] }), { "content-type": "application/x-www-form-urlencoded" }), 400, "invalid_request"],
        ["text/html", () => raw(JSON.stringify({ events: [ok] }), { "content-type": "text/html" }), 400, "invalid_request"],
        ["GET engagement", () => app.request("/v1/engagement"), 404, "not_found"],
        ["comments: bad track id", () => app.request("/v1/tracks/abc/comments"), 400, "invalid_request"],
        ["comments: track 0", () => app.request("/v1/tracks/0/comments"), 400, "invalid_request"],
        ["comments: unknown track", () => app.request("/v1/tracks/777/comments"), 404, "not_found"],
        ["comments: limit 0", () => app.request("/v1/tracks/1/comments?limit=0"), 400, "invalid_request"],
        ["comments: limit 101", () => app.request("/v1/tracks/1/comments?limit=101"), 400, "invalid_request"],
        ["comments: bad cursor", () => app.request("/v1/tracks/1/comments?cursor=-4"), 400, "invalid_request"],
        ["playlist: bad id", () => app.request("/v1/playlists/0x1234"), 400, "invalid_request"],
        ["playlist: unknown", () => app.request(`/v1/playlists/${randomId()}`), 404, "not_found"],
        ["playlist: private, no proof", () => app.request(`/v1/playlists/${playlist}`), 404, "not_found"],
        ["playlist: forged proof", () => app.request(`/v1/playlists/${playlist}`, { headers: { authorization: `BeatStream ${NOW + 60}.0x${"ab".repeat(65)}` } }), 401, "read_auth_invalid"],
        ["fans: bad address", () => app.request("/v1/fans/0xabc/likes"), 400, "invalid_request"],
        ["fans: not hex", () => app.request(`/v1/fans/0x${"zz".repeat(20)}/follows`), 400, "invalid_request"],
        ["fans: bad limit", () => app.request(`/v1/fans/${address}/saves?limit=abc`), 400, "invalid_request"],
        ["fans: cursor not a number", () => app.request(`/v1/fans/${address}/history?cursor=next`), 400, "invalid_request"],
        ["fans: cursor too large", () => app.request(`/v1/fans/${address}/playlists?cursor=99999999999999999999`), 400, "invalid_request"],
        ["fans: unknown view", () => app.request(`/v1/fans/${address}/comments`), 404, "not_found"],
        ["fans: expired proof", () => app.request(`/v1/fans/${address}/playlists`, { headers: { authorization: `BeatStream ${NOW - 10}.0x${"ab".repeat(65)}` } }), 401, "read_auth_expired"],
      ];
      for (const [name, request, status, code] of requests) {
        const response = await request();
        expect(response.status, name).to.equal(status);
        expect((await json(response)).error.code, name).to.equal(code);
      }
      expect({ ...(await countEngagementRows(db)), plays: await countPlays(db) }).to.deep.equal(before);
    });
  });
}
