import { expect } from "chai";
import { getAddress } from "viem";
import { createChainReader } from "../../relayer/src/chain/reader.js";
import { rollup } from "../../relayer/src/engagement/rollup.js";
import { createTrackCatalog } from "../../relayer/src/plays/tracks.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { BACKENDS, buildApp, deployChain, newListener, postPlays, signedItem, type Chain } from "./core.helpers.js";
import { postEvents, randomId, signedEvent } from "./engagement.helpers.js";

const NOW = 1_900_000_000;
const HOUR = 3600;
const DAY = 86_400;

type Json = Record<string, any>;

for (const backend of BACKENDS) {
  describe(`analytics API (${backend.name})`, function () {
    this.timeout(180_000);
    let chain: Chain;
    let db: Database;
    let dispose: () => Promise<void>;
    let app: ReturnType<typeof buildApp>["app"];
    let creator: string;
    const get = async (path: string): Promise<{ status: number; body: Json }> => {
      const response = await app.request(path);
      return { status: response.status, body: (await response.json()) as Json };
    };

    before(async () => {
      chain = await deployChain(3);
      ({ db, dispose } = await backend.open());
      ({ app } = buildApp({ db, chain, now: NOW }));
      creator = chain.creator.address.toLowerCase();
      const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      const [a, b, c] = [newListener(), newListener(), newListener()];
      // Plays through the API (signed, checked, stored), then events as ingestion stores them.
      const plays = [
        await signedItem(a, domain, { trackId: 1n, startedAt: BigInt(NOW - 2 * HOUR) }),
        await signedItem(b, domain, { trackId: 1n, startedAt: BigInt(NOW - 3 * HOUR) }),
        await signedItem(a, domain, { trackId: 1n, startedAt: BigInt(NOW - 2 * DAY) }),
        await signedItem(c, domain, { trackId: 2n, startedAt: BigInt(NOW - 5 * DAY) }),
        await signedItem(a, domain, { trackId: 3n, startedAt: BigInt(NOW - 1 * HOUR) }),
      ];
      const response = await postPlays(app, plays);
      expect(response.status).to.equal(202);
      // Events signed by the fans and posted to POST /v1/engagement, as the client SDK sends them.
      const events = [
        await signedEvent(a, domain, "like", { trackId: 1n, issuedAt: BigInt(NOW - HOUR) }),
        await signedEvent(b, domain, "like", { trackId: 1n, issuedAt: BigInt(NOW - HOUR) }),
        await signedEvent(b, domain, "share", { trackId: 1n, text: "x", issuedAt: BigInt(NOW - HOUR) }),
        await signedEvent(c, domain, "follow", { artist: getAddress(creator), issuedAt: BigInt(NOW - DAY) }),
        await signedEvent(a, domain, "play_complete", { trackId: 1n, subject: randomId(), text: "search", value: 180, issuedAt: BigInt(NOW - 2 * HOUR) }),
        await signedEvent(b, domain, "play_skip", { trackId: 1n, subject: randomId(), text: "radio", value: 25, issuedAt: BigInt(NOW - 3 * HOUR) }),
        // Liked twice: stored, changes nothing, counts nothing.
        await signedEvent(a, domain, "like", { trackId: 1n, issuedAt: BigInt(NOW - HOUR + 1) }),
      ];
      const posted = await postEvents(app, events);
      expect(posted.status).to.equal(202);
      const { results } = (await posted.json()) as Json;
      expect(results.map((r: Json) => r.effect ?? r.code)).to.deep.equal(["applied", "applied", "applied", "applied", "applied", "applied", "unchanged"]);
      const reader = createChainReader({ client: chain.client, musicNFT: chain.musicNFT });
      const catalog = createTrackCatalog({ reader, refreshIntervalMs: 0 });
      const rolled = await rollup({ db, creatorOf: (trackId) => catalog.creatorOf(trackId) });
      expect(rolled).to.deep.include({ plays: 5, events: 6 });
    });
    after(async () => dispose());

    it("GET /v1/stats/tracks/:id: all-time totals, sources and rates; the creator from the chain", async () => {
      const { status, body } = await get("/v1/stats/tracks/1");
      expect(status).to.equal(200);
      expect(body.trackId).to.equal("1");
      expect(body.creator).to.equal(creator);
      expect(body.totals).to.deep.include({ plays: 3, listeners: 2, likes: 2, shares: 1, completes: 1, skips: 1, completionRate: 0.5, skipRate: 0.5 });
      expect(body.totals.sharesByChannel).to.deep.equal({ link: 0, x: 1, farcaster: 0, embed: 0, other: 0 });
      expect(body.sources).to.deep.equal([
        { source: "radio", completes: 0, skips: 1 },
        { source: "search", completes: 1, skips: 0 },
      ]);
      expect(body.window).to.equal(undefined);
    });

    it("GET /v1/stats/tracks/:id?range&interval: a zero-filled series, range totals, growth and unique listeners", async () => {
      const { status, body } = await get("/v1/stats/tracks/1?range=7d&interval=day");
      expect(status).to.equal(200);
      const window = body.window;
      expect(window).to.deep.include({ range: "7d", interval: "day", to: Math.floor(NOW / DAY) * DAY + DAY });
      expect(window.series).to.have.length(7);
      expect(window.series.map((p: Json) => p.plays)).to.deep.equal([0, 0, 0, 0, 1, 0, 2]);
      expect(window.totals).to.deep.include({ plays: 3, listeners: 2, likes: 2 });
      expect(window.growth.plays).to.deep.equal({ previous: 0, absolute: 3, percent: null });
      expect(window.sources).to.deep.equal([
        { source: "radio", completes: 0, skips: 1 },
        { source: "search", completes: 1, skips: 0 },
      ]);
      const hourly = await get("/v1/stats/tracks/1?range=24h");
      expect(hourly.body.window.interval).to.equal("hour");
      expect(hourly.body.window.series).to.have.length(24);
      expect(hourly.body.window.totals.plays).to.equal(2);
    });

    it("GET /v1/stats/artists/:address: totals across tracks, followers, monthly listeners, top tracks and fans", async () => {
      const { status, body } = await get(`/v1/stats/artists/${getAddress(creator)}`);
      expect(status).to.equal(200);
      expect(body.artist).to.equal(creator);
      expect(body.totals).to.deep.include({ plays: 5, listeners: 3, followers: 1, likes: 2 });
      expect(body.monthlyListeners).to.equal(3);
      expect(body.topTracks).to.deep.equal([
        { trackId: "1", plays: 3 },
        { trackId: "2", plays: 1 },
        { trackId: "3", plays: 1 },
      ]);
      expect(body.topFans[0].score).to.be.at.least(body.topFans.at(-1).score);
      expect(body.topFans).to.have.length(3);
      const withRange = await get(`/v1/stats/artists/${creator}?range=30d&interval=week`);
      expect(withRange.body.window.totals).to.deep.include({ plays: 5, followers: 1 });
      // An address nobody plays: zeros, not an error.
      const nobody = await get(`/v1/stats/artists/0x${"12".repeat(20)}`);
      expect(nobody.status).to.equal(200);
      expect(nobody.body.totals.plays).to.equal(0);
    });

    it("GET /v1/stats/top/tracks, /top/artists and /trending: ranked and paginated", async () => {
      const first = await get("/v1/stats/top/tracks?metric=plays&range=7d&limit=1");
      expect(first.status).to.equal(200);
      expect(first.body).to.deep.include({ metric: "plays", range: "7d", offset: 0, limit: 1, nextOffset: 1 });
      expect(first.body.items).to.deep.equal([{ trackId: "1", creator, value: 3 }]);
      const rest = await get("/v1/stats/top/tracks?metric=plays&range=7d&limit=5&offset=1");
      expect(rest.body.items.map((item: Json) => item.trackId)).to.deep.equal(["2", "3"]);
      expect(rest.body.nextOffset).to.equal(null);
      const likes = await get("/v1/stats/top/tracks?metric=likes&range=all");
      expect(likes.body.items).to.deep.equal([{ trackId: "1", creator, value: 2 }]);
      const artists = await get("/v1/stats/top/artists?metric=followers&range=30d");
      expect(artists.body.items).to.deep.equal([{ artist: creator, value: 1 }]);
      const trending = await get("/v1/stats/trending?range=24h");
      expect(trending.status).to.equal(200);
      expect(trending.body.items.map((item: Json) => item.trackId)).to.deep.equal(["1", "3"]);
      expect(trending.body.items[0]).to.deep.include({ plays: 2, previousPlays: 0 });
    });

    it("refuses every bad parameter with 400 (or 404) and its code, and stores nothing", async () => {
      const tables = async () => (await db.query<{ n: string }>(`SELECT (SELECT count(*) FROM stats_buckets) + (SELECT count(*) FROM stats_totals) + (SELECT count(*) FROM plays) AS n`)).rows[0]!.n;
      const before = await tables();
      const corpus: [string, number, string][] = [
        ["/v1/stats/tracks/0", 400, "invalid_request"],
        ["/v1/stats/tracks/abc", 400, "invalid_request"],
        ["/v1/stats/tracks/-1", 400, "invalid_request"],
        ["/v1/stats/tracks/99999999999999999999", 400, "invalid_request"],
        ["/v1/stats/tracks/4", 404, "not_found"],
        ["/v1/stats/tracks/1?range=2d", 400, "invalid_range"],
        ["/v1/stats/tracks/1?range=", 400, "invalid_range"],
        ["/v1/stats/tracks/1?range=7D", 400, "invalid_range"],
        ["/v1/stats/tracks/1?interval=day", 400, "invalid_range"],
        ["/v1/stats/tracks/1?range=7d&interval=minute", 400, "invalid_interval"],
        ["/v1/stats/tracks/1?range=7d&interval=", 400, "invalid_interval"],
        ["/v1/stats/tracks/1?range=1y&interval=hour", 400, "too_many_points"],
        ["/v1/stats/tracks/1?range=90d&interval=hour", 400, "too_many_points"],
        ["/v1/stats/artists/0x1234", 400, "invalid_request"],
        ["/v1/stats/artists/creator", 400, "invalid_request"],
        [`/v1/stats/artists/0x${"g".repeat(40)}`, 400, "invalid_request"],
        ["/v1/stats/artists/0x1234567890123456789012345678901234567890?range=forever", 400, "invalid_range"],
        ["/v1/stats/artists/0x1234567890123456789012345678901234567890?range=1y&interval=hour", 400, "too_many_points"],
        ["/v1/stats/top/tracks?metric=followers", 400, "invalid_metric"],
        ["/v1/stats/top/tracks?metric=bogus", 400, "invalid_metric"],
        ["/v1/stats/top/tracks?metric=listeners&range=7d", 400, "invalid_metric"],
        ["/v1/stats/top/tracks?range=week", 400, "invalid_range"],
        ["/v1/stats/top/tracks?limit=0", 400, "invalid_request"],
        ["/v1/stats/top/tracks?limit=101", 400, "invalid_request"],
        ["/v1/stats/top/tracks?limit=-1", 400, "invalid_request"],
        ["/v1/stats/top/tracks?limit=ten", 400, "invalid_request"],
        ["/v1/stats/top/tracks?offset=10001", 400, "invalid_request"],
        ["/v1/stats/top/tracks?offset=1.5", 400, "invalid_request"],
        ["/v1/stats/top/artists?metric=shares_x", 400, "invalid_metric"],
        ["/v1/stats/top/artists?range=1w", 400, "invalid_range"],
        ["/v1/stats/trending?range=all", 400, "invalid_range"],
        ["/v1/stats/trending?range=5y", 400, "invalid_range"],
        ["/v1/stats/trending?limit=1000", 400, "invalid_request"],
      ];
      for (const [path, status, code] of corpus) {
        const response = await get(path);
        expect({ path, status: response.status, code: response.body.error?.code }).to.deep.equal({ path, status, code });
      }
      expect(await tables()).to.equal(before);
    });

    it("serves a series again from its cache only while no rollup touched the scope", async () => {
      const series = async (trackId: number) => (await get(`/v1/stats/tracks/${trackId}?range=7d&interval=day`)).body.window;
      const first = await series(1);
      expect(first.totals.plays).to.equal(3);
      const untouched = await series(2);
      const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      const fan = newListener();
      const response = await postPlays(app, [await signedItem(fan, domain, { trackId: 1n, startedAt: BigInt(NOW - 4 * HOUR) })], "10.0.0.9");
      expect(response.status).to.equal(202);
      // Accepted but not rolled up yet: the figures are still the rolled ones.
      expect((await series(1)).totals.plays).to.equal(3);
      const reader = createChainReader({ client: chain.client, musicNFT: chain.musicNFT });
      const catalog = createTrackCatalog({ reader, refreshIntervalMs: 0 });
      await rollup({ db, creatorOf: (trackId) => catalog.creatorOf(trackId) });
      const after = await series(1);
      expect(after.totals).to.deep.include({ plays: 4, listeners: 3 });
      expect(after.series.at(-1).plays).to.equal(3);
      expect(await series(2)).to.deep.equal(untouched);
    });
  });
}
