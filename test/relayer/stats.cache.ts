import { expect } from "chai";
import { createScopeTotalsReader, watchStats } from "../../relayer/src/engagement/analytics.js";
import { rollup } from "../../relayer/src/engagement/rollup.js";
import type { Database, Queryable } from "../../relayer/src/repo/db/database.js";
import { migrate } from "../../relayer/src/repo/db/migrations.js";
import { openPgliteThread } from "../../relayer/src/repo/db/pglite-thread.js";
import { openPostgres } from "../../relayer/src/repo/db/postgres.js";
import { createPostgresDatabase, newListener, TEST_DATABASE_URL } from "./core.helpers.js";
import { insertSignedPlays } from "./stats.helpers.js";

/**
 * The analytics routes keep a scope's totals in memory until the statistics change. These tests count the reads of
 * stats_totals to see whether an answer came from memory, and check it never outlives a rollup commit: on PGlite
 * (this process's rollup) and on PostgreSQL (another process's rollup, announced by NOTIFY on commit).
 */

const ARTIST = "0x00000000000000000000000000000000000000a1";
const creatorOf = async () => ARTIST;
const at = Math.floor(Date.now() / 1000) - 3_600;

/** `db` with its reads of stats_totals counted (the rollup's writes are not). */
function counted(db: Database): { db: Database; reads: () => number } {
  let reads = 0;
  const query: Queryable["query"] = (sql, params) => {
    if (/^\s*SELECT/.test(sql) && sql.includes("stats_totals")) reads += 1;
    return db.query(sql, params);
  };
  return { db: Object.assign(Object.create(db) as Database, { query, kind: db.kind, listen: db.listen?.bind(db) }), reads: () => reads };
}

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("statistics totals cache (PGlite)", function () {
  this.timeout(60_000);
  it("answers from memory until this process's rollup commits a chunk, then reads the new totals", async () => {
    const db = await openPgliteThread();
    try {
      await migrate({ db });
      await insertSignedPlays(db, [{ listener: newListener(), trackId: 1n, at }, { listener: newListener(), trackId: 2n, at }]);
      await rollup({ db, creatorOf });
      const { db: watched, reads } = counted(db);
      const totals = createScopeTotalsReader(watched);
      expect((await totals("t", "1")).totals.plays).to.equal(1);
      expect((await totals("t", "1")).totals.plays).to.equal(1);
      expect((await totals("t", "2")).totals.plays).to.equal(1);
      expect(reads()).to.equal(2);
      await insertSignedPlays(db, [{ listener: newListener(), trackId: 1n, at }]);
      // This process's rollup, on the same handle as the reader: track 1 and its artist changed, track 2 did not.
      await rollup({ db: watched, creatorOf });
      expect((await totals("t", "1")).totals).to.deep.include({ plays: 2, listeners: 2 });
      expect(reads()).to.equal(3);
      expect((await totals("t", "2")).totals.plays).to.equal(1);
      expect(reads()).to.equal(3);
      expect((await totals("a", ARTIST)).totals.plays).to.equal(3);
      expect(reads()).to.equal(4);
    } finally {
      await db.close();
    }
  });
});

(TEST_DATABASE_URL === undefined ? describe.skip : describe)("statistics totals cache (PostgreSQL, two processes)", function () {
  this.timeout(60_000);
  it("drops what it kept when another process's rollup commits (NOTIFY), and reads every time while not listening", async () => {
    const database = await createPostgresDatabase(TEST_DATABASE_URL ?? "");
    // Two pools on one database: the API process and a process that rolls up.
    const api = await openPostgres({ connectionString: database.url, max: 2 });
    const worker = await openPostgres({ connectionString: database.url, max: 2 });
    /**
     * The worker's rollup, run until it has rolled up every play: raising the safe horizon gives up after 50 ms when
     * it cannot lock the plays table (autovacuum may hold it), and the service's loop would simply try again.
     */
    const rollUp = () => until(async () => {
      const result = await rollup({ db: worker, creatorOf });
      return result.horizonRaised && !result.behind;
    }, 30_000);
    try {
      await migrate({ db: worker });
      await insertSignedPlays(worker, [{ listener: newListener(), trackId: 1n, at }]);
      await rollUp();
      const { db: watched, reads } = counted(api);
      const totals = createScopeTotalsReader(watched, watchStats(watched, { retryMs: 1_000 }));
      /** Whether two calls in a row read the row `n` times: 1 while listening (the second is kept), 2 while not. */
      const readsOfTwoCalls = async (n: number) => {
        const before = reads();
        await totals("t", "1");
        await totals("t", "1");
        return reads() === before + n;
      };
      // Until LISTEN is up, every call reads; then one read is kept.
      await until(() => readsOfTwoCalls(1), 30_000);
      const kept = reads();
      expect((await totals("t", "1")).totals.plays).to.equal(1);
      expect(reads()).to.equal(kept);

      // The other process rolls up: the notification arrives with its commit, and the next answer is the new one.
      // It names the scopes it changed: track 2, which it did not change, stays in memory.
      await insertSignedPlays(worker, [{ listener: newListener(), trackId: 2n, at }]);
      await rollUp();
      await until(async () => (await totals("t", "2")).totals.plays === 1);
      const kept2 = reads();
      await insertSignedPlays(worker, [{ listener: newListener(), trackId: 1n, at }]);
      await rollUp();
      await until(async () => (await totals("t", "1")).totals.plays === 2);
      expect((await totals("t", "1")).totals.listeners).to.equal(2);
      const before2 = reads();
      expect((await totals("t", "2")).totals.plays).to.equal(1);
      expect(reads()).to.equal(before2);
      expect(before2).to.be.greaterThan(kept2);

      // The LISTEN connection dies: nothing is trusted (each call reads) until it is back, and then it caches again.
      await worker.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
      await until(() => readsOfTwoCalls(2));
      await insertSignedPlays(worker, [{ listener: newListener(), trackId: 1n, at }]);
      await rollUp();
      await until(async () => (await totals("t", "1")).totals.plays === 3);
      // Listening again (retried after 1 s; slower under load).
      await until(() => readsOfTwoCalls(1), 30_000);
      expect((await totals("t", "1")).totals.plays).to.equal(3);
    } finally {
      await api.close();
      await worker.close();
      await database.drop();
    }
  });
});
