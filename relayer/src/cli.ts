import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { getAddress, http, isAddress, type Transport } from "viem";
import { formatStatus, readStatus } from "./audit/status.js";
import { gatewaySnapshotSource, localSnapshotSource, type SnapshotSource } from "./audit/snapshot-source.js";
import { verifyBatch } from "./audit/verify-batch.js";
import { createReadClient } from "./chain/client.js";
import { createChainReader } from "./chain/reader.js";
import { jobAddresses, readJobRoles, readRoleMembers } from "./chain/roles.js";
import { configTable, loadConfig, type Config } from "./config.js";
import { openDatabase } from "./repo/db/open.js";
import { findDistribution as loadDistributionSummary } from "./repo/distributions.js";
import { runDistributionCycle } from "./pipeline/distributions.js";
import { loadDeployments } from "./deployments.js";
import { RelayerError } from "./errors.js";
import { createLogger, type Logger, type LogLevel } from "./log.js";
import { createConfiguredDistributions, startServer, testDistributionHaltAfter, type StartServerReturnType } from "./server.js";
import { DEFAULT_LIGHTHOUSE_GATEWAY } from "./stores/lighthouse.js";

/** The usage text; `--help` prints it with the configuration table appended. */
export const USAGE = `usage: beatstream-relayer <command> [options]   (or: npm run relayer -- <command> [options])

commands:
  start              run the relayer (HTTP API and batcher) until SIGINT/SIGTERM
  flush              ask a running relayer to seal and commit a batch now (POST /v1/admin/flush with OPERATOR_API_KEY)
  status             batches per status, pending plays, last committed batch (database) and nextBatchId (chain);
                     who holds which role: each job's configured key (COMMITTER_, REPORTER_, SETTLER_PRIVATE_KEY)
                     and whether it holds its role, and every role's members on every protocol contract (from the
                     RoleGranted/RoleRevoked events); on the embedded PGlite store stop the server first: only one
                     process may open DATA_DIR
  distribute         distribute the holder revenue of every creator that is due (a holder share, revenue accrued in
                     BeatStreamVault, a new distribution period): record (creator, period), send
                     distributeHolderRevenue with the settler's key, confirm; once per period, resumes after a crash;
                     --creator <0x..> limits it to one creator (repeatable)
  verify <batchId>   audit a committed batch from public data: the CID in the chain's PlaysCommitted event, the
                     snapshot fetched by that CID, its CID, root, deltas, signatures, play lengths and previous-CID
                     link; prints OK or one line per difference, and exits 1 on any difference

options:
  --creator <address>   distribute: only this creator (repeatable)
  --url <url>           relayer to flush (default http://HOST:PORT)
  --snapshot-dir <dir>  verify: read snapshots from this LocalCasStore directory (default DATA_DIR/snapshots)
  --gateway <url>       verify: read snapshots from this IPFS gateway (default Lighthouse's when LIGHTHOUSE_API_KEY is set)
  --json                print machine-readable JSON instead of lines
  -h, --help            this text

exit codes: 0 success, 1 verify found differences or the command failed, 2 usage error`;

export type CliDependencies = {
  /** The environment the configuration is read from. */
  env: Record<string, string | undefined>;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Chain transport; defaults to `http(RPC_URL)`. Tests pass Hardhat's in-process provider. */
  transport?: Transport;
  fetch?: typeof fetch;
  /** `start`'s structured logs; absent, its lines go to `stdout` as plain messages. */
  logger?: (level: LogLevel) => Logger;
  /** `start` runs until this resolves (default: SIGINT or SIGTERM) and then closes the relayer. */
  waitForStop?: (relayer: StartServerReturnType) => Promise<string>;
};

export type RunCliParameters = { argv: readonly string[]; deps: CliDependencies };
/** The process exit code. */
export type RunCliReturnType = number;

/** Thrown for a command line the CLI cannot run; exit code 2. */
export class CliUsageError extends RelayerError {
  constructor(message: string) {
    super("cli_usage", message);
  }
}

/** Runs one CLI command with injected I/O, so tests drive it in-process; never calls process.exit. */
export async function runCli({ argv, deps }: RunCliParameters): Promise<RunCliReturnType> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: "string" },
        creator: { type: "string", multiple: true },
        "snapshot-dir": { type: "string" },
        gateway: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === "help") {
      deps.stdout(USAGE);
      deps.stdout("\nconfiguration (environment variables):");
      for (const row of configTable()) deps.stdout(`  ${row.name.padEnd(36)} ${row.default.padEnd(20)} ${row.meaning}`);
      return 0;
    }
    const arity = (count: number) => {
      if (rest.length !== count) throw new CliUsageError(`${command} takes ${count === 0 ? "no arguments" : `${count} argument(s)`}`);
    };
    switch (command) {
      case "start":
        arity(0);
        return await start(deps);
      case "flush":
        arity(0);
        return await flush(deps, values.url, values.json);
      case "status":
        arity(0);
        return await status(deps, values.json);
      case "distribute":
        arity(0);
        return await distribute(deps, values.creator ?? [], values.json);
      case "verify": {
        arity(1);
        const text = rest[0] ?? "";
        if (!/^[1-9][0-9]*$/.test(text)) throw new CliUsageError(`batchId must be a positive integer, got ${JSON.stringify(text)}`);
        return await verify(deps, BigInt(text), { snapshotDir: values["snapshot-dir"], gateway: values.gateway, json: values.json });
      }
      case undefined:
        throw new CliUsageError("missing command");
      default:
        throw new CliUsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    // parseArgs reports unknown options as a TypeError with an ERR_PARSE_ARGS_* code.
    const usage = error instanceof CliUsageError || (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"));
    deps.stderr(`error: ${error instanceof RelayerError ? `${error.code}: ` : ""}${error instanceof Error ? error.message : String(error)}`);
    if (usage) deps.stderr("run with --help for usage");
    return usage ? 2 : 1;
  }
}

async function start(deps: CliDependencies): Promise<number> {
  const config = loadConfig({ env: deps.env });
  const logger = deps.logger?.(config.LOG_LEVEL);
  const relayer = await startServer({ config, transport: deps.transport, ...(logger === undefined ? { log: deps.stdout } : { logger }) });
  const reason = await (deps.waitForStop ?? untilSignal)(relayer);
  const stopping = `${reason}: finishing in-flight requests, then closing the database`;
  if (logger === undefined) deps.stdout(stopping);
  else logger.info({ signal: reason }, stopping);
  await relayer.close();
  return 0;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

async function flush(deps: CliDependencies, url: string | undefined, json: boolean): Promise<number> {
  const config = loadConfig({ env: deps.env });
  if (config.OPERATOR_API_KEY === undefined) throw new CliUsageError("flush needs OPERATOR_API_KEY (the running relayer's operator key)");
  const base = (url ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, "");
  const response = await (deps.fetch ?? fetch)(`${base}/v1/admin/flush`, {
    method: "POST",
    headers: { authorization: `Bearer ${config.OPERATOR_API_KEY}` },
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = typeof body === "object" && body !== null && "error" in body ? JSON.stringify(body.error) : `${response.status} ${response.statusText}`;
    deps.stderr(`flush failed (HTTP ${response.status}): ${error}`);
    return 1;
  }
  if (json) {
    deps.stdout(JSON.stringify(body));
    return 0;
  }
  const batch = typeof body === "object" && body !== null && "batch" in body ? body.batch : null;
  deps.stdout(batch === null ? "nothing to flush: no pending plays and no unfinished batch" : `batch: ${JSON.stringify(batch, null, 2)}`);
  return 0;
}

async function status(deps: CliDependencies, json: boolean): Promise<number> {
  const config = loadConfig({ env: deps.env });
  const deployments = await loadDeployments({ dir: config.DEPLOYMENTS_DIR, chainId: config.CHAIN_ID });
  const client = publicClient(config, deps);
  const reader = createChainReader({ client, musicNFT: deployments.contracts.MusicNFT.address });
  const holders = createConfiguredDistributions({ config, deployments, transport: deps.transport ?? http(config.RPC_URL) });
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    const result = await readStatus({
      db,
      nextBatchId: () => reader.nextBatchId(),
      ...(holders === undefined
        ? {}
        : {
            distributions: async () => {
              const [periodSeconds, currentPeriod, creators] = await Promise.all([holders.periodSeconds(), holders.currentPeriod(), holders.creatorsWithShare()]);
              const pools = await Promise.all(creators.map(async (creator) => ({ creator, ...(await holders.pool(creator)) })));
              return { periodSeconds, currentPeriod, creators: pools };
            },
          }),
      roles: async () => {
        const [jobs, contracts] = await Promise.all([
          readJobRoles({ client, deployments, accounts: jobAddresses(config) }),
          readRoleMembers({ client, contracts: deployments.contracts }),
        ]);
        return { jobs, contracts };
      },
    });
    if (json) deps.stdout(JSON.stringify(result));
    else for (const line of formatStatus(result)) deps.stdout(line);
    return 0;
  } finally {
    await db.close();
  }
}

async function distribute(deps: CliDependencies, creators: readonly string[], json: boolean): Promise<number> {
  const only = creators.map((creator) => {
    if (!isAddress(creator, { strict: false })) throw new CliUsageError(`--creator must be an address, got ${JSON.stringify(creator)}`);
    return getAddress(creator);
  });
  const config = loadConfig({ env: deps.env });
  const deployments = await loadDeployments({ dir: config.DEPLOYMENTS_DIR, chainId: config.CHAIN_ID });
  const chain = createConfiguredDistributions({ config, deployments, transport: deps.transport ?? http(config.RPC_URL) });
  if (chain === undefined) throw new CliUsageError("the deployments file names no BeatStreamVault: nothing to distribute");
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    const afterStep = testDistributionHaltAfter({ env: deps.env, log: deps.stdout });
    const result = await runDistributionCycle({ ctx: { db, chain }, ...(only.length === 0 ? {} : { creators: only }), ...(afterStep === undefined ? {} : { afterStep }) });
    const rows = await Promise.all([...result.distributed, ...result.skipped].map((id) => loadDistributionSummary(db, id)));
    if (json) deps.stdout(JSON.stringify({ distributed: result.distributed.map(String), skipped: result.skipped.map(String), rows }));
    else if (rows.length === 0) deps.stdout("nothing due: no creator has holder revenue accrued in a period not yet distributed");
    else for (const row of rows) deps.stdout(`distribution ${row.id}: ${row.creator} period ${row.period} ${row.status}${row.amount === null ? "" : ` ${row.amount}`}${row.txHash === null ? "" : ` tx ${row.txHash}`}${row.lastError === null ? "" : ` (${row.lastError})`}`);
    return 0;
  } finally {
    await db.close();
  }
}

async function verify(
  deps: CliDependencies,
  batchId: bigint,
  options: { snapshotDir: string | undefined; gateway: string | undefined; json: boolean },
): Promise<number> {
  const config = loadConfig({ env: deps.env });
  const deployments = await loadDeployments({ dir: config.DEPLOYMENTS_DIR, chainId: config.CHAIN_ID });
  const result = await verifyBatch({
    batchId,
    client: publicClient(config, deps),
    musicNFT: deployments.contracts.MusicNFT,
    source: snapshotSource(config, deps, options),
  });
  if (options.json) {
    deps.stdout(JSON.stringify({ batchId: batchId.toString(), cid: result.cid, plays: result.plays, engagement: result.engagement, ok: result.differences.length === 0, differences: result.differences }));
  } else if (result.differences.length === 0) {
    deps.stdout("OK");
  } else {
    for (const line of result.differences) deps.stdout(line);
  }
  return result.differences.length === 0 ? 0 : 1;
}

/** The store the relayer writes to, read back: Lighthouse's gateway when it uploads there, else its local directory. */
function snapshotSource(config: Config, deps: CliDependencies, options: { snapshotDir: string | undefined; gateway: string | undefined }): SnapshotSource {
  if (options.snapshotDir !== undefined) return localSnapshotSource({ dir: options.snapshotDir });
  const gateway = options.gateway ?? (config.LIGHTHOUSE_API_KEY !== undefined ? DEFAULT_LIGHTHOUSE_GATEWAY : undefined);
  if (gateway !== undefined) return gatewaySnapshotSource({ gatewayUrl: gateway, fetch: deps.fetch });
  return localSnapshotSource({ dir: join(config.DATA_DIR, "snapshots") });
}

function publicClient(config: Config, deps: CliDependencies) {
  return createReadClient({ chainId: config.CHAIN_ID, rpcUrl: config.RPC_URL, transport: deps.transport });
}

/** `npm run relayer -- <command>` and the `beatstream-relayer` bin. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  const code = await runCli({
    argv,
    // Command output (status, verify, flush) is for people and scripts: plain lines. `start` logs like a service.
    deps: { env: process.env, stdout: (line) => console.log(line), stderr: (line) => console.error(line), logger: (level) => createLogger({ level }) },
  });
  process.exit(code);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
