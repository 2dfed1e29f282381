import pg from "pg";
import type { Database, QueryResult, Row } from "./database.js";

export type OpenPostgresParameters = {
  connectionString: string;
  /** Pool size; every relayer process holds at most this many connections. */
  max?: number;
};

/** PostgreSQL through a `pg` pool: the store for production and for several relayer processes. */
export async function openPostgres({ connectionString, max = 10 }: OpenPostgresParameters): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client that loses its server emits 'error' on the pool; without a listener that would crash the process.
  pool.on("error", () => {});
  // Fail at start, not on the first request, when the server is unreachable.
  (await pool.connect()).release();
  const toResult = <T extends Row>(result: pg.QueryResult<T>): QueryResult<T> => ({
    rows: result.rows,
    rowCount: result.rowCount ?? result.rows.length,
  });
  const listeners = new Set<() => Promise<void>>();
  let closed = false;
  return {
    kind: "postgres",
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      return toResult(await pool.query<T>(sql, [...params]));
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await fn({
          async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
            return toResult(await client.query<T>(sql, [...params]));
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        // A connection that cannot even roll back is destroyed rather than handed to the next caller.
        client.release(broken);
      }
    },
    async listen(channel, { notify, lost }) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
      if (closed) throw Object.assign(new Error("the database is closed"), { name: "DatabaseClosedError" });
      const client = new pg.Client({ connectionString });
      let open = true;
      const drop = (error: Error) => {
        if (!open) return;
        open = false;
        listeners.delete(stop);
        client.end().catch(() => {});
        lost(error);
      };
      client.on("notification", (message) => message.channel === channel && notify(message.payload ?? ""));
      client.on("error", drop);
      client.on("end", () => drop(new Error("the LISTEN connection ended")));
      await client.connect();
      try {
        await client.query(`LISTEN ${channel}`);
      } catch (error) {
        open = false;
        await client.end().catch(() => {});
        throw error;
      }
      const stop = async () => {
        if (!open) return;
        open = false;
        listeners.delete(stop);
        await client.end().catch(() => {});
      };
      listeners.add(stop);
      return stop;
    },
    async close() {
      closed = true;
      await Promise.all([...listeners].map((stop) => stop()));
      await pool.end();
    },
  };
}
