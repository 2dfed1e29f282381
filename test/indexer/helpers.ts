/**
 * The indexer as a user runs it: `ponder --root indexer --config ../ponder.config.ts start` in its own process on a free port, reading the
 * test chain's deployments file, on a fresh PGlite directory or a fresh PostgreSQL database.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PONDER_PROJECT_ARGS, ponderEnv } from "../../scripts/stack/ponder-env.js";
import { createPostgresDatabase } from "../relayer/core.helpers.js";
import { freePort, startChild, type Child, type LocalNode } from "../relayer/helpers/processes.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PONDER_CLI = join(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js");

export type IndexerDatabase = { kind: "pglite" } | { kind: "postgres"; adminUrl: string };

export type IndexerProcess = {
  url: string;
  child: Child;
  /** GET `path`; resolves with the status and the parsed JSON body. */
  get(path: string): Promise<{ status: number; body: any }>;
  /** Resolves once Ponder has indexed block `block` (its /status), or rejects after `timeoutMs`. */
  waitForBlock(block: bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
};

export async function startIndexer({ node, database }: { node: LocalNode; database: IndexerDatabase }): Promise<IndexerProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "beatstream-indexer-"));
  const postgres = database.kind === "postgres" ? await createPostgresDatabase(database.adminUrl) : undefined;
  const env: Record<string, string> = {
    RPC_URL: node.rpcUrl,
    CHAIN_ID: String(node.chainId),
    DEPLOYMENTS_DIR: node.deploymentsDir,
    INDEXER_DATA_DIR: dataDir,
    ...ponderEnv(),
    ...(postgres === undefined ? {} : { DATABASE_URL: postgres.url }),
  };
  // The parent's DATABASE_URL must not leak into the PGlite run.
  if (postgres === undefined) env.DATABASE_URL = "";
  const child = startChild(`ponder (${database.kind})`, [PONDER_CLI, ...PONDER_PROJECT_ARGS, "start", "--schema", "beatstream_test", "--port", String(port), "--hostname", "127.0.0.1", "--log-format", "json"], { env });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    await postgres?.drop();
  };
  try {
    await child.waitFor(/Created HTTP server/, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, body };
  };
  return {
    url,
    child,
    get,
    async waitForBlock(block, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { status, body } = await get("/status").catch((): { status: number; body: any } => ({ status: 0, body: undefined }));
        const indexed = status === 200 ? body?.beatstream?.block?.number : undefined;
        if (typeof indexed === "number" && BigInt(indexed) >= block) return;
        if (child.process.exitCode !== null) throw new Error(`${child.name} exited:\n${child.output().slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`${child.name} did not reach block ${block} within ${timeoutMs} ms (at ${indexed}):\n${child.output().slice(-4000)}`);
        await new Promise((done) => setTimeout(done, 200));
      }
    },
    stop,
  };
}
