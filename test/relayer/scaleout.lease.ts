import { expect } from "chai";
import pg from "pg";
import { createBatchLease } from "../../relayer/src/pipeline/lease.js";
import { createPostgresDatabase, TEST_DATABASE_URL } from "./core.helpers.js";

async function acquireWithin(lease: { acquire(): Promise<boolean> }, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await lease.acquire())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** The lease on its own: a session-level advisory lock on a dedicated connection, passed on when the session ends. */
describe("batch lease", function () {
  this.timeout(60_000);

  it("on PGlite (no DATABASE_URL) is always held: one process owns the data directory", async () => {
    const lease = createBatchLease({ databaseUrl: undefined });
    expect(await lease.acquire()).to.equal(true);
    await lease.release();
    expect(lease.held()).to.equal(true);
    await lease.close();
  });

  describe("on PostgreSQL", () => {
    let database: { url: string; drop(): Promise<void> } | undefined;

    before(async function () {
      if (TEST_DATABASE_URL === undefined) {
        console.log("    (batch lease: TEST_DATABASE_URL unset, PostgreSQL cases skipped; CI sets it)");
        this.skip();
      }
      database = await createPostgresDatabase(TEST_DATABASE_URL);
    });
    after(async () => {
      await database?.drop();
    });

    it("one holder at a time; the holder keeps it across cycles and close passes it on", async () => {
      const lines: string[] = [];
      const first = createBatchLease({ databaseUrl: database!.url, log: (line) => lines.push(`first: ${line}`) });
      const second = createBatchLease({ databaseUrl: database!.url, log: (line) => lines.push(`second: ${line}`) });
      try {
        expect(await first.acquire()).to.equal(true);
        expect(await second.acquire()).to.equal(false);
        // release() between cycles keeps the lock: the batcher role does not move on every tick.
        await first.release();
        expect(await second.acquire()).to.equal(false);
        expect(await first.acquire()).to.equal(true);
        await first.close();
        expect(first.held()).to.equal(false);
        expect(await first.acquire()).to.equal(false);
        expect(await second.acquire()).to.equal(true);
        expect(lines).to.deep.equal(["first: batch lease acquired: this process is the batcher", "second: batch lease acquired: this process is the batcher"]);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it("a holder whose session the server ended finds out at its next acquire, and the lock has passed on", async () => {
      const lines: string[] = [];
      const holder = createBatchLease({ databaseUrl: database!.url, log: (line) => lines.push(line) });
      const other = createBatchLease({ databaseUrl: database!.url });
      const admin = new pg.Client({ connectionString: database!.url });
      await admin.connect();
      try {
        expect(await holder.acquire()).to.equal(true);
        // What a crash or a partition looks like from the server: the holder's session is gone.
        const { rows } = await admin.query<{ ended: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'beatstream-relayer-lease' AND datname = current_database()`,
        );
        expect(rows).to.deep.equal([{ ended: true }]);
        // pg_terminate_backend only signals the backend; its locks go when it has exited, a moment later.
        expect(await acquireWithin(other, 10_000)).to.equal(true);
        expect(await holder.acquire()).to.equal(false);
        expect(holder.held()).to.equal(false);
        expect(lines.some((line) => line.startsWith("batch lease lost"))).to.equal(true);
        // Once the other lets go, the old holder reconnects and gets it back.
        await other.close();
        expect(await holder.acquire()).to.equal(true);
      } finally {
        await admin.end();
        await holder.close();
        await other.close();
      }
    });
  });
});
