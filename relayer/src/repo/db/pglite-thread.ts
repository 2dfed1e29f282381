import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { CopyResult, Database, Queryable, QueryResult, Row } from "./database.js";

export type OpenPgliteThreadParameters = {
  /** Directory of the database files; undefined keeps the database in memory (tests). */
  dataDir?: string;
};

/** A PostgreSQL error raised on the PGlite thread, with the fields callers read (`code`, `detail`, `constraint`, …). */
export class PgliteThreadError extends Error {
  code?: string;
  detail?: string;
  constraint?: string;
  constructor(fields: { name?: string; message: string } & Record<string, unknown>) {
    super(fields.message);
    Object.assign(this, fields);
    this.name = "PgliteThreadError";
  }
}

type Reply = { id: number; ok: true; rows?: Row[]; affectedRows?: number } | { id: number; ok: false; error: { message: string } & Record<string, unknown> };
type Request = { op: "query"; sql: string; params: readonly unknown[] } | { op: "copy"; sql: string; data: string; followUp?: string } | { op: "close" };
type Pending = { resolve: (reply: Reply & { ok: true }) => void; reject: (error: Error) => void };

/**
 * Embedded PostgreSQL (WASM) on a thread of its own. PGlite runs each statement synchronously, so in the HTTP
 * process every statement held the event loop: no socket read, no ack sent, no timer fired until it finished. Here
 * the statements run on the PGlite thread and the event loop only posts them and reads the answers.
 *
 * PGlite has one connection, so statements are serialised: one at a time in order, and a transaction holds the
 * connection from BEGIN to COMMIT while statements from elsewhere wait (as PGlite's own `transaction` does).
 */
export async function openPgliteThread({ dataDir }: OpenPgliteThreadParameters = {}): Promise<Database> {
  // Creating a database (initdb) leaves the memory of a second WASM instance on the thread, which PGlite does not
  // release (≈ 150 MB resident for the relayer's life: `npm run bench:relayer`, memory by part). So a new directory
  // is created on a thread of its own, closed, and opened again on a clean thread (≈ 1 s, on the first start only).
  if (dataDir !== undefined && !existsSync(join(dataDir, "PG_VERSION"))) await (await startPgliteThread(dataDir)).close();
  return startPgliteThread(dataDir);
}

async function startPgliteThread(dataDir: string | undefined): Promise<Database> {
  const worker = new Worker(new URL("./pglite-worker.js", import.meta.url), { workerData: { dataDir } });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  let closed = false;

  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the PGlite thread exited with code ${code} while opening the database`));
    worker.once("error", reject);
    worker.once("exit", onExit);
    worker.once("message", (message: { ready: boolean; error?: { message: string } }) => {
      worker.off("error", reject);
      worker.off("exit", onExit);
      if (message.ready) resolve();
      else reject(new PgliteThreadError({ message: `PGlite could not open ${dataDir ?? "an in-memory database"}: ${message.error?.message}` }));
    });
  });

  const fail = (error: Error) => {
    failure ??= error;
    for (const entry of pending.values()) entry.reject(failure);
    pending.clear();
  };
  worker.on("message", (reply: Reply) => {
    const entry = pending.get(reply.id);
    if (entry === undefined) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.ok) entry.resolve(reply);
    else entry.reject(new PgliteThreadError(reply.error));
  });
  worker.on("error", (error) => fail(new Error(`the PGlite thread failed: ${error.message}`, { cause: error })));
  worker.on("exit", (code) => {
    if (!closed) fail(new Error(`the PGlite thread exited with code ${code}`));
  });
  // Idle, the thread must not keep a process alive that is otherwise done; with a statement in flight it must.
  worker.unref();

  const call = (request: Request): Promise<Reply & { ok: true }> => {
    if (failure !== undefined) return Promise.reject(failure);
    if (closed && request.op !== "close") return Promise.reject(new Error("the database is closed"));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...request });
    });
  };

  const toResult = <T extends Row>(reply: { rows?: Row[]; affectedRows?: number }): QueryResult<T> => ({
    rows: (reply.rows ?? []) as T[],
    rowCount: reply.affectedRows ?? reply.rows?.length ?? 0,
  });
  const connection: Queryable = {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      return toResult<T>(await call({ op: "query", sql, params: [...params] }));
    },
    async copyFrom(sql, data, followUp): Promise<CopyResult> {
      const reply = await call({ op: "copy", sql, data, ...(followUp === undefined ? {} : { followUp }) });
      return { copied: reply.affectedRows ?? 0, rows: reply.rows ?? [] };
    },
  };

  // The connection, taken in turn: by one statement, or by a transaction from BEGIN to COMMIT.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = turn.then(fn);
    turn = run.catch(() => undefined);
    return run;
  };

  return {
    kind: "pglite",
    query: (sql, params) => exclusive(() => connection.query(sql, params)),
    copyFrom: (sql, data, followUp) => exclusive(() => connection.copyFrom!(sql, data, followUp)),
    transaction(fn) {
      return exclusive(async () => {
        await connection.query("BEGIN");
        try {
          const result = await fn(connection);
          await connection.query("COMMIT");
          return result;
        } catch (error) {
          await connection.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      });
    },
    async close() {
      if (closed) return;
      await exclusive(async () => {
        closed = true;
        if (failure === undefined) await call({ op: "close" }).catch(() => undefined);
      });
      await worker.terminate();
    },
  };
}
