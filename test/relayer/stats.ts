import { expect } from "chai";
import type { Address } from "viem";
import { rangeStats, growthOf, monthlyListeners, ranking, trendingOf } from "../../relayer/src/engagement/analytics.js";
import { rollup } from "../../relayer/src/engagement/rollup.js";
import { StatsQueryError } from "../../relayer/src/engagement/stats-errors.js";
import { addBuckets, bucketStart, bucketsInRange, windowOf } from "../../relayer/src/engagement/windows.js";
import { MIGRATIONS } from "../../relayer/src/repo/db/migrations.js";
import { openPostgres } from "../../relayer/src/repo/db/postgres.js";
import { readCursors } from "../../relayer/src/repo/stats.js";
import { BACKENDS, createPostgresDatabase, newListener, TEST_DATABASE_URL } from "./core.helpers.js";
import { insertSignedEvents, insertSignedPlays, recountBuckets, recountRecency, recountSourceBuckets, recountTotals, storedBuckets, storedRecency, storedSourceBuckets, storedTotals, type TestEvent, type TestPlay } from "./stats.helpers.js";

const utc = (iso: string) => Date.parse(iso) / 1000;

describe("statistics windows (UTC buckets)", () => {
  it("buckets by hour, day, ISO week from Monday, month and year", () => {
    const t = utc("2026-03-01T13:45:10Z"); // a Sunday
    expect(bucketStart("hour", t)).to.equal(utc("2026-03-01T13:00:00Z"));
    expect(bucketStart("day", t)).to.equal(utc("2026-03-01T00:00:00Z"));
    expect(bucketStart("week", t)).to.equal(utc("2026-02-23T00:00:00Z"));
    expect(bucketStart("week", utc("2026-03-02T00:00:00Z"))).to.equal(utc("2026-03-02T00:00:00Z"));
    expect(bucketStart("week", utc("1970-01-01T05:00:00Z"))).to.equal(utc("1969-12-29T00:00:00Z"));
    expect(bucketStart("month", t)).to.equal(utc("2026-03-01T00:00:00Z"));
    expect(bucketStart("year", t)).to.equal(utc("2026-01-01T00:00:00Z"));
    expect(addBuckets("month", utc("2026-01-01T00:00:00Z"), -1)).to.equal(utc("2025-12-01T00:00:00Z"));
    expect(addBuckets("month", utc("2026-01-01T00:00:00Z"), 14)).to.equal(utc("2027-03-01T00:00:00Z"));
  });

  it("cuts ranges into whole buckets, the last one holding now, and refuses more than MAX_POINTS", () => {
    expect(bucketsInRange("24h", "hour")).to.equal(24);
    expect(bucketsInRange("1y", "day")).to.equal(365);
    expect(bucketsInRange("1y", "week")).to.equal(53);
    expect(bucketsInRange("1y", "month")).to.equal(12);
    expect(bucketsInRange("90d", "month")).to.equal(3);
    expect(bucketsInRange("7d", "week")).to.equal(1);
    const now = utc("2026-03-01T13:45:10Z");
    const week = windowOf("7d", "day", now)!;
    expect(week.points).to.equal(7);
    expect(week.to).to.equal(utc("2026-03-02T00:00:00Z"));
    expect(week.from).to.equal(utc("2026-02-23T00:00:00Z"));
    expect(week.previous).to.deep.equal({ from: utc("2026-02-16T00:00:00Z"), to: utc("2026-02-23T00:00:00Z") });
    expect(windowOf("1y", "month", now)!.from).to.equal(utc("2025-04-01T00:00:00Z"));
    expect(windowOf("90d", "hour", now)).to.equal(undefined);
    expect(windowOf("1y", "hour", now)).to.equal(undefined);
    expect(windowOf("30d", "hour", now)!.points).to.equal(720);
    const all = windowOf("all", "month", now, utc("2025-11-01T00:00:00Z"))!;
    expect(all.points).to.equal(5);
    expect(all.previous).to.equal(undefined);
    expect(windowOf("all", "day", now, now - 2000 * 86_400)).to.equal(undefined);
  });

  it("computes growth: absolute, percent, null percent when the previous is 0", () => {
    expect(growthOf(15, 10)).to.deep.equal({ previous: 10, absolute: 5, percent: 50 });
    expect(growthOf(5, 10)).to.deep.equal({ previous: 10, absolute: -5, percent: -50 });
    expect(growthOf(3, 0)).to.deep.equal({ previous: 0, absolute: 3, percent: null });
    expect(growthOf(2, 3)).to.deep.equal({ previous: 3, absolute: -1, percent: -33.33 });
  });
});

for (const backend of BACKENDS) {
  describe(`statistics rollup (${backend.name})`, function () {
    this.timeout(240_000);

    const artistA = "0x00000000000000000000000000000000000000a1";
    const artistB = "0x00000000000000000000000000000000000000b2";
    /** Tracks 1 and 2 are artist A's, 3 is B's; the chain read is counted to check the cache. */
    const CREATORS: Record<string, string> = { "1": artistA, "2": artistA, "3": artistB };
    let creatorReads = 0;
    const creatorOf = async (trackId: bigint) => {
      creatorReads += 1;
      return CREATORS[trackId.toString()]!;
    };

    const fans = Array.from({ length: 5 }, () => newListener());
    // Instants on every kind of bucket edge: hour, day, Sunday → Monday, month, year.
    const EDGES = [
      "2025-12-31T23:59:59Z",
      "2026-01-01T00:00:00Z",
      "2026-03-01T23:59:59Z",
      "2026-03-02T00:00:00Z",
      "2026-03-02T00:59:59Z",
      "2026-03-02T01:00:00Z",
      "2026-02-28T12:00:00Z",
    ].map(utc);

    function playsAt(): TestPlay[] {
      const plays: TestPlay[] = [];
      EDGES.forEach((at, index) => {
        for (let n = 0; n < 3; n++) plays.push({ listener: fans[(index + n) % fans.length]!, trackId: BigInt(1 + ((index + n) % 3)), at });
      });
      // The same listener twice on one track in one hour: one listener.
      plays.push({ listener: fans[0]!, trackId: 1n, at: EDGES[3]! + 10 }, { listener: fans[0]!, trackId: 1n, at: EDGES[3]! + 20 });
      return plays;
    }

    function eventsAt(): TestEvent[] {
      const [a, b, c] = fans;
      return [
        { fan: a!, action: "like", trackId: 1n, at: EDGES[0]! },
        { fan: a!, action: "unlike", trackId: 1n, at: EDGES[1]! },
        { fan: b!, action: "like", trackId: 1n, at: EDGES[1]! },
        { fan: b!, action: "like", trackId: 1n, at: EDGES[1]! + 5, effective: false }, // liked twice: stored, not counted
        { fan: c!, action: "unlike", trackId: 2n, at: EDGES[2]!, effective: false }, // unlike of nothing
        { fan: c!, action: "save", trackId: 2n, at: EDGES[2]! },
        { fan: a!, action: "save", trackId: 3n, at: EDGES[3]! },
        { fan: a!, action: "unsave", trackId: 3n, at: EDGES[4]! },
        { fan: a!, action: "share", trackId: 1n, text: "x", at: EDGES[4]! },
        { fan: b!, action: "share", trackId: 1n, text: "farcaster", at: EDGES[5]! },
        { fan: c!, action: "share", trackId: 3n, text: "link", at: EDGES[5]! },
        { fan: c!, action: "download", trackId: 3n, at: EDGES[6]! },
        { fan: a!, action: "comment", trackId: 2n, text: "nice", value: 30, at: EDGES[6]! },
        { fan: b!, action: "comment", trackId: 2n, text: "great", value: 4294967295, at: EDGES[6]! },
        { fan: b!, action: "comment_delete", trackId: 2n, at: EDGES[3]! },
        { fan: a!, action: "follow", artist: artistA as Address, at: EDGES[0]! },
        { fan: b!, action: "follow", artist: artistA as Address, at: EDGES[1]! },
        { fan: b!, action: "unfollow", artist: artistA as Address, at: EDGES[3]! },
        { fan: c!, action: "follow", artist: artistB as Address, at: EDGES[2]! },
        { fan: c!, action: "follow", artist: artistB as Address, at: EDGES[2]! + 1, effective: false },
        { fan: a!, action: "play_complete", trackId: 1n, text: "search", value: 200, at: EDGES[3]! },
        { fan: b!, action: "play_complete", trackId: 1n, text: "playlist", value: 180, at: EDGES[3]! },
        { fan: c!, action: "play_skip", trackId: 1n, text: "radio", value: 12, at: EDGES[4]! },
        { fan: c!, action: "play_skip", trackId: 3n, text: "search", value: 40, at: EDGES[5]! },
        { fan: a!, action: "playlist_create", text: "mix", value: 1, at: EDGES[5]! },
      ];
    }

    async function expectRecount(db: Parameters<typeof recountBuckets>[0]) {
      expect(await storedBuckets(db)).to.deep.equal(await recountBuckets(db));
      expect(await storedTotals(db)).to.deep.equal(await recountTotals(db));
      expect(await storedRecency(db)).to.deep.equal(await recountRecency(db));
      expect(await storedSourceBuckets(db)).to.deep.equal(await recountSourceBuckets(db));
    }

    it("equals a recount from the raw rows for every grain and metric, chunk by chunk and incrementally", async () => {
      const { db, dispose } = await backend.open();
      creatorReads = 0;
      try {
        await insertSignedPlays(db, playsAt());
        await insertSignedEvents(db, eventsAt());
        // Chunks of 4: many transactions, bucket rows met again and again across chunks.
        const first = await rollup({ db, creatorOf, chunkSize: 4 });
        expect(first.plays).to.equal(23);
        expect(first.events).to.equal(22);
        expect(first.chunks).to.be.greaterThan(5);
        expect(creatorReads).to.equal(3);
        await expectRecount(db);

        // Some spot checks against the rules, beyond the recount.
        const { rows: track1 } = await db.query<Record<string, string>>(`SELECT likes::text, shares::text, shares_x::text, shares_farcaster::text, completes::text, skips::text FROM stats_totals WHERE kind = 't' AND key = '1'`);
        expect(track1[0]).to.deep.equal({ likes: "1", shares: "2", shares_x: "1", shares_farcaster: "1", completes: "2", skips: "1" });
        const { rows: artist } = await db.query<{ followers: string }>(`SELECT followers::text FROM stats_totals WHERE kind = 'a' AND key = $1`, [artistA]);
        expect(artist[0]!.followers).to.equal("1");

        // Nothing new: nothing is read again.
        const again = await rollup({ db, creatorOf, chunkSize: 4 });
        expect(again).to.deep.include({ chunks: 0, plays: 0, events: 0 });

        // More rows: only they are applied, and the recount still matches.
        await insertSignedPlays(db, playsAt().slice(0, 9));
        await insertSignedEvents(db, eventsAt().slice(0, 6));
        const more = await rollup({ db, creatorOf, chunkSize: 1000 });
        expect(more).to.deep.include({ plays: 9, events: 4, chunks: 1 });
        expect(creatorReads).to.equal(3);
        await expectRecount(db);
        const cursors = await readCursors(db);
        expect(cursors.plays.rolledTo).to.equal(cursors.plays.safeTo);

        // Migrations 10 and 11's backfills (a store rolled up before recency and source buckets existed) rebuild the same.
        await db.query(`UPDATE stats_listeners SET last_hour = 0`);
        await db.query(`DELETE FROM stats_recency`);
        await db.query(`DELETE FROM stats_source_buckets`);
        const backfill = MIGRATIONS.filter((m) => m.version === 10 || m.version === 11).flatMap((m) => m.statements.filter((sql) => /^\s*(UPDATE|INSERT)/.test(sql)));
        expect(backfill).to.have.length(5);
        for (const sql of backfill) await db.query(sql);
        await expectRecount(db);
      } finally {
        await dispose();
      }
    });

    it("answers series (zero-filled), range totals, growth and unique listeners across bucket edges", async () => {
      const { db, dispose } = await backend.open();
      try {
        const [a, b, c] = fans;
        const now = utc("2026-03-02T01:30:00Z");
        await insertSignedPlays(db, [
          // Previous 24 hours: 2 plays by a.
          { listener: a!, trackId: 1n, at: utc("2026-02-28T23:10:00Z") },
          { listener: a!, trackId: 1n, at: utc("2026-03-01T01:10:00Z") },
          // This 24 hours: a (twice), b, c.
          { listener: a!, trackId: 1n, at: utc("2026-03-01T02:00:00Z") },
          { listener: b!, trackId: 1n, at: utc("2026-03-01T23:59:59Z") },
          { listener: a!, trackId: 1n, at: utc("2026-03-02T00:00:00Z") },
          { listener: c!, trackId: 1n, at: utc("2026-03-02T01:29:00Z") },
        ]);
        await insertSignedEvents(db, [
          { fan: b!, action: "like", trackId: 1n, at: utc("2026-03-02T00:30:00Z") },
          // How plays ended: one before the 24-hour window (hour 01:00 of Mar 1), three in it.
          { fan: a!, action: "play_complete", trackId: 1n, text: "search", value: 180, at: utc("2026-03-01T01:13:00Z") },
          { fan: a!, action: "play_complete", trackId: 1n, text: "search", value: 180, at: utc("2026-03-01T02:03:00Z") },
          { fan: b!, action: "play_skip", trackId: 1n, text: "radio", value: 12, at: utc("2026-03-02T00:00:30Z") },
          { fan: c!, action: "play_complete", trackId: 1n, text: "radio", value: 170, at: utc("2026-03-02T01:29:50Z") },
        ]);
        await rollup({ db, creatorOf });

        const day = await rangeStats(db, "t", "1", "24h", "hour", now);
        // Sources over the window's hours only; all-time sources (the totals') count the earlier one too.
        expect(day.sources).to.deep.equal([
          { source: "radio", completes: 1, skips: 1 },
          { source: "search", completes: 1, skips: 0 },
        ]);
        expect(day.totals).to.deep.include({ completes: 2, skips: 1, completionRate: 0.67, skipRate: 0.33 });
        const sevenDays = await rangeStats(db, "t", "1", "7d", "day", now);
        expect(sevenDays.sources).to.deep.equal([
          { source: "radio", completes: 1, skips: 1 },
          { source: "search", completes: 2, skips: 0 },
        ]);
        const artistDay = await rangeStats(db, "a", artistA, "24h", "hour", now);
        expect(artistDay.sources).to.deep.equal(day.sources);
        expect(day.series).to.have.length(24);
        expect(day.from).to.equal(utc("2026-03-01T02:00:00Z"));
        expect(day.series[0]).to.deep.include({ start: utc("2026-03-01T02:00:00Z"), plays: 1, listeners: 1 });
        expect(day.series[1]).to.deep.include({ plays: 0, listeners: 0, likes: 0 });
        expect(day.series.at(-2)).to.deep.include({ start: utc("2026-03-02T00:00:00Z"), plays: 1, likes: 1 });
        expect(day.series.at(-1)).to.deep.include({ start: utc("2026-03-02T01:00:00Z"), plays: 1, listeners: 1 });
        expect(day.totals).to.deep.include({ plays: 4, listeners: 3, likes: 1 });
        expect(day.growth!.plays).to.deep.equal({ previous: 2, absolute: 2, percent: 100 });
        expect(day.growth!.listeners).to.deep.equal({ previous: 1, absolute: 2, percent: 200 });
        expect(day.growth!.likes).to.deep.equal({ previous: 0, absolute: 1, percent: null });

        // Day buckets: 7 days ending today; a listener on two days is one listener over the range.
        const week = await rangeStats(db, "t", "1", "7d", "day", now);
        expect(week.series.map((p) => p.plays)).to.deep.equal([0, 0, 0, 0, 1, 3, 2]);
        expect(week.series.map((p) => p.listeners)).to.deep.equal([0, 0, 0, 0, 1, 2, 2]);
        expect(week.totals.listeners).to.equal(3);
        expect(week.growth!.plays.previous).to.equal(0);

        // The artist sees the same, and its monthly listeners.
        const artistWeek = await rangeStats(db, "a", artistA, "7d", "week", now);
        expect(artistWeek.series).to.have.length(1);
        expect(artistWeek.series[0]).to.deep.include({ start: utc("2026-03-02T00:00:00Z"), plays: 2, listeners: 2 });
        expect(await monthlyListeners(db, artistA, now)).to.equal(3);

        // all: from the first bucket, no growth.
        const all = await rangeStats(db, "t", "1", "all", "month", now);
        expect(all.series.map((p) => p.plays)).to.deep.equal([1, 5]);
        // Month buckets read their distinct listeners from the day sets: a in February; a, b and c in March.
        expect(all.series.map((p) => p.listeners)).to.deep.equal([1, 3]);
        expect(all.totals.listeners).to.equal(3);
        expect(all.growth).to.equal(null);
        try {
          await rangeStats(db, "t", "1", "1y", "hour", now);
          expect.fail("hour over a year was answered");
        } catch (error) {
          expect(error).to.be.instanceOf(StatsQueryError);
          expect((error as StatsQueryError).code).to.equal("too_many_points");
        }

        // Rankings and trending over the same data.
        const top = await ranking(db, { kind: "t", metric: "plays", range: "24h", limit: 10, offset: 0, now });
        expect(top).to.deep.equal([{ key: "1", creator: artistA, value: 4 }]);
        const trend = await trendingOf(db, { kind: "t", range: "24h", limit: 10, offset: 0, now });
        expect(trend).to.have.length(1);
        expect(trend[0]).to.deep.include({ key: "1", current: 4, previous: 2 });
        // Not closeTo: with hardhat's ethers matchers loaded (any test file that uses them), closeTo takes only bigints.
        expect(Math.abs(trend[0]!.score - 2 * Math.log(5))).to.be.below(1e-9);
      } finally {
        await dispose();
      }
    });
  });
}

if (TEST_DATABASE_URL !== undefined) {
  describe("statistics rollup (PostgreSQL, writers committing out of id order)", function () {
    this.timeout(120_000);

    it("never passes an id whose insert has not committed yet, and counts it once it has", async () => {
      const database = await createPostgresDatabase(TEST_DATABASE_URL!);
      const db = await openPostgres({ connectionString: database.url });
      try {
        const { migrate } = await import("../../relayer/src/repo/db/migrations.js");
        await migrate({ db });
        const creatorOf = async () => "0x00000000000000000000000000000000000000a1";
        const [slow, fast] = [newListener(), newListener()];
        // The slow writer takes the lower id and holds its transaction open; the fast one commits a higher id.
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let inserted!: () => void;
        const insertedLow = new Promise<void>((resolve) => (inserted = resolve));
        const slowWriter = db.transaction(async (tx) => {
          await insertSignedPlays(tx, [{ listener: slow, trackId: 1n, at: utc("2026-03-01T10:00:00Z") }]);
          inserted();
          await held;
        });
        await insertedLow;
        await insertSignedPlays(db, [{ listener: fast, trackId: 1n, at: utc("2026-03-01T10:00:00Z") }]);
        const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM plays`);
        expect(rows.map((r) => r.id)).to.deep.equal(["2"]);

        // The horizon cannot be raised past the open insert: nothing is rolled, the cursor stays before id 1.
        const during = await rollup({ db, creatorOf });
        expect(during).to.deep.include({ horizonRaised: false, plays: 0 });
        expect((await readCursors(db)).plays.rolledTo).to.equal(0n);

        release();
        await slowWriter;
        const after = await rollup({ db, creatorOf });
        expect(after).to.deep.include({ horizonRaised: true, plays: 2 });
        expect(await storedTotals(db)).to.deep.equal(await recountTotals(db));
        const { rows: totals } = await db.query<{ plays: string; listeners: string }>(`SELECT plays::text, listeners::text FROM stats_totals WHERE kind = 't' AND key = '1'`);
        expect(totals[0]).to.deep.equal({ plays: "2", listeners: "2" });
      } finally {
        await db.close();
        await database.drop();
      }
    });
  });
}
