// The PGlite thread: owns the embedded database and runs the statements the main thread sends, one at a time, in
// arrival order. Plain JavaScript so the thread needs no TypeScript loader (see pglite-thread.ts for the protocol).
import { mkdir } from "node:fs/promises";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

/** @type {{ dataDir?: string }} */
const { dataDir } = workerData;

/** The fields of a PostgreSQL error that callers read (code first: 23505 and friends). */
const ERROR_FIELDS = ["code", "detail", "hint", "constraint", "table", "column", "schema", "severity", "position", "where"];

function serializeError(error) {
  const out = { name: error?.name ?? "Error", message: error?.message ?? String(error) };
  for (const field of ERROR_FIELDS) if (error?.[field] !== undefined) out[field] = error[field];
  return out;
}

let pg;
try {
  // PGlite's NodeFS creates only the last path segment, so create the parents here.
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  pg = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  parentPort.postMessage({ ready: true });
} catch (error) {
  parentPort.postMessage({ ready: false, error: serializeError(error) });
  process.exit(1);
}

let queue = Promise.resolve();
parentPort.on("message", (message) => {
  queue = queue.then(() => run(message));
});

async function run({ id, op, sql, params, data, followUp }) {
  try {
    if (op === "close") {
      if (!pg.closed) await pg.close();
      parentPort.postMessage({ id, ok: true });
      parentPort.close();
      return;
    }
    if (op === "copy") {
      const copied = await pg.query(sql, [], { blob: new Blob([data]) });
      // Run before this thread takes the next message, so nothing else comes between (e.g. currval after COPY).
      const after = followUp === undefined ? undefined : await pg.query(followUp);
      parentPort.postMessage({ id, ok: true, rows: after?.rows ?? [], affectedRows: copied.affectedRows });
      return;
    }
    const result = await pg.query(sql, params ?? []);
    parentPort.postMessage({ id, ok: true, rows: result.rows, affectedRows: result.affectedRows });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: serializeError(error) });
  }
}
