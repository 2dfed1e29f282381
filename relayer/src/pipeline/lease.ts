import pg from "pg";
import type { LogLine } from "../log.js";
import { ping } from "../repo/db/database.js";
import { advisoryUnlock, tryAdvisoryLock } from "../repo/locks.js";
import type { PipelineLease } from "./machine.js";

/**
 * The advisory lock key every relayer process on one database contends for. One database serves one deployment
 * (its tables hold one chain's batches), so one constant key is enough. Fixed forever: processes of different
 * versions must still exclude each other.
 */
export const BATCHER_LEASE_KEY = 0x6265617473747265n; // "beatstre"

export type CreateBatchLeaseParameters = {
  /** PostgreSQL connection string; undefined (PGlite, one process owns the data directory) gives a lease that is always held. */
  databaseUrl?: string | undefined;
  key?: bigint;
  /** Receives one line whenever this process becomes the batcher or loses the lease. */
  log?: LogLine;
};

export type BatchLeaseHandle = PipelineLease & {
  /** Whether this process is the batcher right now (as of the last acquire). */
  held(): boolean;
  /** Gives the lease up and closes its connection. Call after the batcher has stopped. Idempotent. */
  close(): Promise<void>;
};

/**
 * Who seals and commits when several relayer processes share one PostgreSQL: the process whose dedicated session
 * holds `pg_try_advisory_lock(key)`. A session-level lock lives exactly as long as its connection, so when the holder
 * dies (even by SIGKILL) the server ends its session, the lock frees itself, and the next process to try takes over
 * and resumes the recorded batch steps. Every process keeps ingesting either way.
 *
 * The holder keeps the lock between cycles (`release` is a no-op): the batcher role stays put instead of moving on
 * every tick, and only `close` or the end of the session gives it up. Each `acquire` by the holder runs one query on
 * the lease connection, so a session the server has already dropped is noticed before the next cycle, not after.
 * Should two processes still ever overlap (a partition the holder has not noticed yet), the steps stay safe: each
 * is guarded by the batch's recorded status, sealing checks that no play was taken twice, and the chain refuses a
 * batch id it already holds.
 */
export function createBatchLease({ databaseUrl, key = BATCHER_LEASE_KEY, log = () => {} }: CreateBatchLeaseParameters): BatchLeaseHandle {
  if (databaseUrl === undefined) {
    // PGlite: the data directory belongs to this one process, so nobody else can batch over it.
    return { acquire: async () => true, release: async () => {}, held: () => true, close: async () => {} };
  }
  let client: pg.Client | undefined;
  let holding = false;
  let closed = false;

  const drop = (why: string) => {
    if (holding) log(`batch lease lost (${why}); another process may take over`, { level: "warn" });
    holding = false;
    const old = client;
    client = undefined;
    old?.end().catch(() => {});
  };

  const connect = async (): Promise<pg.Client> => {
    const fresh = new pg.Client({ connectionString: databaseUrl, application_name: "beatstream-relayer-lease" });
    // A dropped session must not crash the process: it only means the lease is gone.
    fresh.on("error", (error) => {
      if (client === fresh) drop(error.message);
    });
    fresh.on("end", () => {
      if (client === fresh) drop("connection closed");
    });
    await fresh.connect();
    return fresh;
  };

  return {
    async acquire() {
      if (closed) return false;
      try {
        if (holding && client !== undefined) {
          // Still our session means still our lock: nobody but the session itself can release a session lock.
          await ping(client);
          return true;
        }
        client ??= await connect();
        holding = await tryAdvisoryLock(client, key);
        if (holding) log("batch lease acquired: this process is the batcher");
        return holding;
      } catch (error) {
        drop(error instanceof Error ? error.message : String(error));
        return false;
      }
    },
    async release() {
      // Kept on purpose between cycles; see above.
    },
    held: () => holding,
    async close() {
      if (closed) return;
      closed = true;
      const last = client;
      client = undefined;
      if (last === undefined) return;
      if (holding) await advisoryUnlock(last, key).catch(() => {});
      holding = false;
      await last.end().catch(() => {});
    },
  };
}
