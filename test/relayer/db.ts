import { expect } from "chai";
import { MigrationError } from "../../relayer/src/errors.js";
import { migrate, MIGRATIONS } from "../../relayer/src/repo/db/migrations.js";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { openPgliteThread, PgliteThreadError } from "../../relayer/src/repo/db/pglite-thread.js";
import { openPostgres } from "../../relayer/src/repo/db/postgres.js";
import { BACKENDS, createPostgresDatabase, TEST_DATABASE_URL, tempDir } from "./core.helpers.js";

for (const backend of BACKENDS) {
  describe(`relayer db (${backend.name})`, function () {
    this.timeout(60_000);

    it("runs migrations once: a second run applies nothing", async () => {
      const { db, dispose } = await backend.open();
      try {
        expect(await migrate({ db })).to.deep.equal({ applied: [], version: MIGRATIONS.at(-1)?.version });
        const { rows } = await db.query<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`);
        expect(rows.map((row) => Number(row.version))).to.deep.equal(MIGRATIONS.map((m) => m.version));
      } finally {
        await dispose();
      }
    });

    it("rolls a failed migration back whole and reports its version", async () => {
      const { db, dispose } = await backend.open();
      try {
        const broken = { version: 999, name: "broken", statements: ["CREATE TABLE half_done (x integer)", "SELECT * FROM no_such_table"] };
        try {
          await migrate({ db, migrations: [...MIGRATIONS, broken] });
          expect.fail("a broken migration was applied");
        } catch (error) {
          expect(error).to.be.instanceOf(MigrationError);
          expect((error as MigrationError).code).to.equal("migration_failed");
          expect((error as MigrationError).message).to.match(/^migration 999 failed/);
        }
        const { rows } = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
        expect(rows).to.have.length(0);
        expect((await db.query(`SELECT 1 FROM schema_migrations WHERE version = 999`)).rows).to.have.length(0);
      } finally {
        await dispose();
      }
    });

    it("commits a transaction that resolves and rolls back one that throws", async () => {
      const { db, dispose } = await backend.open();
      try {
        await db.transaction((tx) => tx.query(`INSERT INTO rate_counters (bucket, count, expires_at) VALUES ('a', 1, 0)`));
        try {
          await db.transaction(async (tx) => {
            await tx.query(`INSERT INTO rate_counters (bucket, count, expires_at) VALUES ('b', 1, 0)`);
            throw new Error("abort");
          });
        } catch (error) {
          expect((error as Error).message).to.equal("abort");
        }
        const { rows } = await db.query<{ bucket: string }>(`SELECT bucket FROM rate_counters ORDER BY bucket`);
        expect(rows.map((row) => row.bucket)).to.deep.equal(["a"]);
      } finally {
        await dispose();
      }
    });

    it("enforces the batch step rules in the schema", async () => {
      const { db, dispose } = await backend.open();
      try {
        await db.query(`INSERT INTO batches (id) VALUES (1)`);
        const rejects = async (sql: string) => {
          try {
            await db.query(sql);
            expect.fail(`accepted: ${sql}`);
          } catch (error) {
            expect((error as Error).message).to.match(/violates|duplicate key/);
          }
        };
        await rejects(`INSERT INTO batches (id) VALUES (2)`); // a second open batch
        await rejects(`UPDATE batches SET status = 'sealed' WHERE id = 1`); // sealed without root
        await rejects(`UPDATE batches SET status = 'done' WHERE id = 1`);
        await db.query(`UPDATE batches SET status = 'sealed', root = '0x01', deltas = '0x', sealed_at = now() WHERE id = 1`);
        await rejects(`UPDATE batches SET status = 'stored' WHERE id = 1`); // stored without CID
      } finally {
        await dispose();
      }
    });
  });
}

describe("relayer db (PGlite thread)", function () {
  this.timeout(60_000);

  it("keeps the event loop running while a statement runs, and makes outside statements wait for an open transaction", async () => {
    const db = await openPgliteThread();
    try {
      await migrate({ db });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      await db.query(`SELECT pg_sleep(0.3)`);
      clearInterval(timer);
      // In-process PGlite would have held the thread for the whole 300 ms: no timer could fire.
      expect(ticks).to.be.greaterThan(20);

      let outside: Promise<{ rows: { bucket: string }[] }> | undefined;
      try {
        await db.transaction(async (tx) => {
          await tx.query(`INSERT INTO rate_counters (bucket, count, expires_at) VALUES ('uncommitted', 1, 0)`);
          // Not part of the transaction: it must run after the rollback, so it never sees the row.
          outside = db.query<{ bucket: string }>(`SELECT bucket FROM rate_counters`);
          await new Promise((resolve) => setTimeout(resolve, 50));
          throw new Error("abort");
        });
      } catch (error) {
        expect((error as Error).message).to.equal("abort");
      }
      expect((await outside!).rows).to.deep.equal([]);
    } finally {
      await db.close();
    }
  });

  it("raises PostgreSQL errors with their code, and refuses statements once closed", async () => {
    const db = await openPgliteThread();
    await migrate({ db });
    await db.query(`INSERT INTO rate_counters (bucket, count, expires_at) VALUES ('a', 1, 0)`);
    try {
      await db.query(`INSERT INTO rate_counters (bucket, count, expires_at) VALUES ('a', 1, 0)`);
      expect.fail("a duplicate key was accepted");
    } catch (error) {
      expect(error).to.be.instanceOf(PgliteThreadError);
      expect((error as PgliteThreadError).code).to.equal("23505");
      expect((error as PgliteThreadError).constraint).to.equal("rate_counters_pkey");
    }
    const copy = await db.copyFrom!(`COPY rate_counters (bucket, count, expires_at) FROM '/dev/blob'`, "b\t2\t0\nc\t3\t0\n", `SELECT count(*)::integer AS n FROM rate_counters`);
    expect(copy).to.deep.equal({ copied: 2, rows: [{ n: 3 }] });
    const { rows } = await db.query<{ bucket: string; count: number }>(`SELECT bucket, count FROM rate_counters ORDER BY bucket`);
    expect(rows).to.deep.equal([{ bucket: "a", count: 1 }, { bucket: "b", count: 2 }, { bucket: "c", count: 3 }]);
    await db.close();
    try {
      await db.query(`SELECT 1`);
      expect.fail("a closed database answered");
    } catch (error) {
      expect((error as Error).message).to.match(/closed/);
    }
  });
});

describe("relayer db (PGlite on disk)", function () {
  this.timeout(60_000);
  it("keeps committed rows across a close and reopen of the data directory", async () => {
    const dir = await tempDir();
    try {
      const first = await openDatabase({ dataDir: dir.path });
      await first.query(
        `INSERT INTO plays (listener, track_id, started_at, duration_seconds, nonce, signature, signature_hash)
         VALUES ('0x01', 1, 2, 30, '0x02', '0x03', '0x04')`,
      );
      await first.close();
      const second = await openDatabase({ dataDir: dir.path });
      const { rows } = await second.query<{ nonce: string }>(`SELECT nonce FROM plays`);
      expect(rows).to.deep.equal([{ nonce: "0x02" }]);
      await second.close();
    } finally {
      await dir.remove();
    }
  });
});

(TEST_DATABASE_URL === undefined ? describe.skip : describe)("relayer db (PostgreSQL, several processes)", function () {
  this.timeout(60_000);
  it("lets servers that start together migrate concurrently: each version applied exactly once", async () => {
    const database = await createPostgresDatabase(TEST_DATABASE_URL ?? "");
    const dbs = await Promise.all(Array.from({ length: 6 }, () => openPostgres({ connectionString: database.url, max: 2 })));
    try {
      const results = await Promise.all(dbs.map((db) => migrate({ db })));
      const applied = results.flatMap((result) => result.applied);
      expect(applied.sort((a, b) => a - b)).to.deep.equal(MIGRATIONS.map((m) => m.version));
      expect(results.filter((result) => result.applied.length > 0)).to.have.length(1);
      for (const result of results) expect(result.version).to.equal(MIGRATIONS.at(-1)?.version);
      const { rows } = await dbs[0].query<{ n: string }>(`SELECT count(*)::text AS n FROM schema_migrations`);
      expect(rows[0].n).to.equal(String(MIGRATIONS.length));
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await database.drop();
    }
  });

  it("opens through DATABASE_URL with migrations applied", async () => {
    const database = await createPostgresDatabase(TEST_DATABASE_URL ?? "");
    try {
      const db = await openDatabase({ databaseUrl: database.url });
      expect(db.kind).to.equal("postgres");
      expect((await db.query(`SELECT count(*)::text AS n FROM plays`)).rows).to.deep.equal([{ n: "0" }]);
      await db.close();
    } finally {
      await database.drop();
    }
  });
});
