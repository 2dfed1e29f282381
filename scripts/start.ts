/**
 * `npm start`: the whole protocol on this machine. A Hardhat node on STACK_HOST:CHAIN_PORT (every transaction
 * mined at once, plus a block every second), the protocol deployed by scripts/deploy.ts with
 * deploy/parameters/localhost.json (deployments/31337.json written), the relayer and the Ponder indexer on
 * their embedded PGlite stores in STACK_DATA_DIR, each waited for until healthy; then the URLs and a few
 * commands to try. Ctrl-C (SIGINT/SIGTERM) stops the indexer and the relayer, then the chain.
 *
 * The chain lives in memory, so every start is a fresh chain: the relayer's and the indexer's stores described
 * the previous one and are cleared here (logs are kept). Settings: scripts/stack/config.ts (docs/local-stack.md).
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { createPublicClient, createWalletClient, http, parseEther, type Address } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { hardhat } from "viem/chains";
import { jobKeys, RELAYER_JOB_NAMES, RELAYER_JOBS, type RelayerJob } from "../relayer/src/chain/roles.js";
import { loadStackConfig, ROOT, type StackConfig } from "./stack/config.js";
import { appConfig } from "./stack/app-config.js";
import { buildApp, serveApp, type ServeAppReturnType } from "./stack/app.js";
import { PONDER_PROJECT_ARGS, ponderEnv } from "./stack/ponder-env.js";
import { portInUse, spawnChild, waitForHttp, type StackChild } from "./stack/processes.js";
import { indexedBlock } from "./stack/simulation.js";

const HARDHAT_CLI = join(ROOT, "node_modules/hardhat/dist/src/cli.js");
const PONDER_CLI = join(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js");
const CHAIN_ID = 31337;
/** Hardhat's well-known account #0 (mnemonic "test test … junk"): the deployer and admin on the local chain. */
const ADMIN: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

const config = loadStackConfig();
const children: StackChild[] = [];
let app: ServeAppReturnType | undefined;
let shuttingDown: Promise<void> | undefined;

const say = (line = "") => process.stdout.write(`${line}\n`);
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(1).padStart(5)} s`;
const tty = process.stdout.isTTY === true;

/** Stops the indexer and the relayer (in parallel; the relayer finishes its batch step), then the chain. */
function shutdown(reason: string, code: number): Promise<void> {
  return (shuttingDown ??= (async () => {
    say(`\n${reason}: stopping ${children.map((child) => child.name).reverse().join(", ") || "nothing"}…`);
    await app?.close();
    const chain = children.find((child) => child.name === "chain");
    await Promise.all(children.filter((child) => child !== chain).map((child) => child.stop(20_000)));
    await chain?.stop(5_000);
    await rm(join(config.dataDir, "stack.json"), { force: true });
    say("stopped.");
    process.exit(code);
  })());
}

let interrupts = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    // A second Ctrl-C while stopping: kill every child's group at once.
    if (++interrupts > 1) {
      for (const child of children) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      process.exit(130);
    }
    void shutdown(signal, 0);
  });
}

async function main(): Promise<void> {
  await refuseSecondStack(config);
  for (const [name, port] of [["CHAIN_PORT", config.CHAIN_PORT], ["RELAYER_PORT", config.RELAYER_PORT], ["INDEXER_PORT", config.INDEXER_PORT], ["APP_PORT", config.APP_PORT]] as const) {
    if (await portInUse(config.STACK_HOST, port)) throw new Error(`${config.STACK_HOST}:${port} is in use (${name}): stop whatever listens there, or set ${name}`);
  }
  const logs = join(config.dataDir, "logs");
  await mkdir(logs, { recursive: true });
  // A fresh chain: stores that describe the previous one would show plays, coins and batches that no longer exist.
  await rm(join(config.dataDir, "relayer"), { recursive: true, force: true });
  await rm(join(config.dataDir, "indexer"), { recursive: true, force: true });
  // Each relayer job's key (one key for all three unless COMMITTER_, REPORTER_ or SETTLER_PRIVATE_KEY is set), as
  // the relayer resolves them; the deploy grants each address its job's role.
  const keys = jobKeys({
    RELAYER_PRIVATE_KEY: toKey(config.RELAYER_PRIVATE_KEY),
    COMMITTER_PRIVATE_KEY: optionalKey(config.COMMITTER_PRIVATE_KEY),
    REPORTER_PRIVATE_KEY: optionalKey(config.REPORTER_PRIVATE_KEY),
    SETTLER_PRIVATE_KEY: optionalKey(config.SETTLER_PRIVATE_KEY),
  });
  const jobs = Object.fromEntries(RELAYER_JOB_NAMES.map((job) => [job, privateKeyToAddress(keys[job])])) as Record<RelayerJob, Address>;
  const echo = (name: string) => (config.STACK_VERBOSE ? (line: string) => say(`[${name}] ${line}`) : undefined);
  const timeoutMs = config.STACK_READY_TIMEOUT_MS;
  // Logs go to files: no colour codes in them.
  const baseEnv = { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" };

  // The web app builds while the chain starts and the protocol deploys (it needs neither).
  const appBuilt = timed(buildApp());
  appBuilt.catch(() => {});

  step("chain", `starting a Hardhat node on ${config.rpcUrl}`);
  const chain = spawnChild({
    name: "chain",
    args: [HARDHAT_CLI, "--network", "stack", "node", "--hostname", config.STACK_HOST, "--port", String(config.CHAIN_PORT)],
    env: baseEnv,
    logFile: join(logs, "chain.log"),
  });
  children.push(chain);
  await chain.waitFor(/Started HTTP and WebSocket JSON-RPC server/, timeoutMs);
  done("chain", `up at ${config.rpcUrl} (chain ${CHAIN_ID})`);

  step("deploy", "compiling if needed, deploying the protocol (deploy/parameters/localhost.json)");
  const parametersFile = await writeDeployParameters(config, jobs);
  const deploy = spawnChild({
    name: "deploy",
    args: [HARDHAT_CLI, "run", "scripts/deploy.ts", "--network", "localhost"],
    env: { ...baseEnv, LOCALHOST_RPC_URL: config.rpcUrl, DEPLOYMENTS_DIR: config.deploymentsDir, DEPLOY_PARAMETERS: parametersFile },
    logFile: join(logs, "deploy.log"),
    // On a terminal the compile and deploy lines scroll by in place; elsewhere they stay in the log.
    echo: tty ? (line) => line.trim() !== "" && progress(`deploy   ${line.trim()}`) : undefined,
  });
  children.push(deploy);
  await deploy.waitFor(/^wrote /, timeoutMs);
  if ((await deploy.exited).code !== 0) throw new Error(`deploy failed:\n${deploy.tail()}`);
  children.splice(children.indexOf(deploy), 1);
  for (const address of new Set(Object.values(jobs))) await fundRelayer(config, address);
  const deployed = await deploymentSummary(config);
  done("deploy", `${deployed.contracts} contracts deployed, chain at block ${deployed.block} (${relative(ROOT, join(config.deploymentsDir, `${CHAIN_ID}.json`))})`);

  step("relayer", `starting on ${config.relayerUrl} (PGlite in ${relative(ROOT, join(config.dataDir, "relayer"))})`);
  const relayer = spawnChild({
    name: "relayer",
    args: ["--import", "tsx", "relayer/src/server.ts"],
    env: {
      ...baseEnv,
      HOST: config.STACK_HOST,
      PORT: String(config.RELAYER_PORT),
      RPC_URL: config.rpcUrl,
      CHAIN_ID: String(CHAIN_ID),
      DEPLOYMENTS_DIR: config.deploymentsDir,
      DATA_DIR: join(config.dataDir, "relayer"),
      // The stack runs on the embedded store; a PostgreSQL of the shell's environment is not this chain's.
      DATABASE_URL: "",
      OPERATOR_API_KEY: config.OPERATOR_API_KEY,
      RELAYER_PRIVATE_KEY: config.RELAYER_PRIVATE_KEY,
      COMMITTER_PRIVATE_KEY: keys.committer,
      REPORTER_PRIVATE_KEY: keys.reporter,
      SETTLER_PRIVATE_KEY: keys.settler,
      BATCH_INTERVAL_MS: String(config.BATCH_INTERVAL_MS),
      MILESTONE_PLAYS: String(config.MILESTONE_PLAYS),
      FOLLOWER_MILESTONE: String(config.FOLLOWER_MILESTONE),
      REVENUE_MILESTONE: String(config.REVENUE_MILESTONE),
      STREAM_SETTLE_INTERVAL_MS: String(config.STREAM_SETTLE_INTERVAL_MS),
      // glibc keeps freed native memory of the PGlite thread's start-up otherwise: ≈ 100 MB more resident
      // (bench/shared.ts, npm run bench:relayer's memory table).
      MALLOC_TRIM_THRESHOLD_: process.env.MALLOC_TRIM_THRESHOLD_ ?? "131072",
    },
    logFile: join(logs, "relayer.log"),
    echo: echo("relayer"),
  });
  children.push(relayer);
  await waitForHttp({ url: `${config.relayerUrl}/healthz`, timeoutMs, child: relayer });
  done("relayer", `listening at ${config.relayerUrl}`);

  step("indexer", `starting Ponder on ${config.indexerUrl} (PGlite in ${relative(ROOT, join(config.dataDir, "indexer"))})`);
  const indexer = spawnChild({
    name: "indexer",
    args: [PONDER_CLI, ...PONDER_PROJECT_ARGS, "start", "--schema", "beatstream", "--port", String(config.INDEXER_PORT), "--hostname", config.STACK_HOST],
    env: {
      ...baseEnv,
      RPC_URL: config.rpcUrl,
      [`PONDER_RPC_URL_${CHAIN_ID}`]: config.rpcUrl,
      CHAIN_ID: String(CHAIN_ID),
      DEPLOYMENTS_DIR: config.deploymentsDir,
      INDEXER_DATA_DIR: join(config.dataDir, "indexer"),
      DATABASE_URL: "",
      ...ponderEnv(),
    },
    logFile: join(logs, "indexer.log"),
    echo: echo("indexer"),
  });
  children.push(indexer);
  // /ready answers 200 once the historical sync is done and the indexer serves the head; meanwhile its progress.
  const stopWatching = watchIndexer(config);
  try {
    await waitForHttp({ url: `${config.indexerUrl}/ready`, timeoutMs, child: indexer });
  } finally {
    stopWatching();
  }
  done("indexer", await indexerCaughtUp(config));

  step("app", `serving the web app on ${config.appUrl}`);
  const buildSeconds = await appBuilt;
  app = await serveApp({
    config: await appConfig({ deploymentsDir: config.deploymentsDir, chainId: CHAIN_ID, rpcUrl: config.rpcUrl, relayerUrl: config.relayerUrl, indexerUrl: config.indexerUrl }),
    host: config.STACK_HOST,
    port: config.APP_PORT,
  });
  done("app", `open ${app.url} (built app/dist in ${buildSeconds.toFixed(1)} s; dev wallet: local chain only)`);

  for (const child of [chain, relayer, indexer]) {
    void child.exited.then(({ code, signal }) => {
      if (shuttingDown === undefined) {
        say(`\n${child.name} exited unexpectedly (${code ?? signal}); last output:\n${child.tail(3_000)}`);
        void shutdown(`${child.name} failed`, 1);
      }
    });
  }
  await writeFile(
    join(config.dataDir, "stack.json"),
    `${JSON.stringify({ pid: process.pid, chainId: CHAIN_ID, rpcUrl: config.rpcUrl, relayerUrl: config.relayerUrl, indexerUrl: config.indexerUrl, appUrl: config.appUrl, pids: { chain: chain.pid, relayer: relayer.pid, indexer: indexer.pid } }, null, 2)}\n`,
  );
  printReady(config, jobs, { chain: chain.pid, relayer: relayer.pid, indexer: indexer.pid });
}

/** Resolves with the seconds `work` took. */
async function timed(work: Promise<void>): Promise<number> {
  const start = performance.now();
  await work;
  return (performance.now() - start) / 1000;
}

/** A stage begins: `[elapsed] • name what`. */
function step(name: string, line: string): void {
  clearProgress();
  say(`[${elapsed()}] • ${name.padEnd(8)} ${line}`);
}

/** A stage is done: `[elapsed] ✓ name what`. */
function done(name: string, line: string): void {
  clearProgress();
  say(`[${elapsed()}] ✓ ${name.padEnd(8)} ${line}`);
}

let progressShown = false;
/** A progress line: redrawn in place on a terminal, a plain line otherwise (the caller paces those). */
function progress(line: string): void {
  if (tty) {
    process.stdout.write(`\r\x1b[2K[${elapsed()}]   ${line}`.slice(0, (process.stdout.columns ?? 120) + 8));
    progressShown = true;
  } else say(`[${elapsed()}]   ${line}`);
}

function clearProgress(): void {
  if (progressShown) process.stdout.write("\r\x1b[2K");
  progressShown = false;
}

/** How many contracts the deploy wrote to deployments/<chainId>.json, and the chain's block after it. */
async function deploymentSummary(stack: StackConfig): Promise<{ contracts: number; block: bigint }> {
  const deployments = JSON.parse(await readFile(join(stack.deploymentsDir, `${CHAIN_ID}.json`), "utf8")) as { contracts?: Record<string, unknown> };
  return { contracts: Object.keys(deployments.contracts ?? {}).length, block: await chainHead(stack) };
}

function chainHead(stack: StackConfig): Promise<bigint> {
  return createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) }).getBlockNumber();
}

/**
 * Ponder's /ready comes before it has indexed the newest 30 blocks of chain 31337 (its finality depth; they follow
 * through its real-time path): waits up to 15 s for the head of the moment, and says where the indexer is.
 */
async function indexerCaughtUp(stack: StackConfig): Promise<string> {
  const head = await chainHead(stack);
  const deadline = Date.now() + 15_000;
  let indexed = await indexedBlock(stack.indexerUrl);
  while ((indexed === undefined || BigInt(indexed) < head) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    indexed = await indexedBlock(stack.indexerUrl);
  }
  return indexed !== undefined && BigInt(indexed) >= head
    ? `synced to block ${indexed}, serving ${stack.indexerUrl}`
    : `serving ${stack.indexerUrl}, at block ${indexed ?? "?"} and catching up to ${head} in real time`;
}

/** Shows the indexer catching up (block N of the head) while it syncs: every second on a terminal, every 5 s otherwise. */
function watchIndexer(stack: StackConfig): () => void {
  let last = "";
  let lastPrinted = 0;
  let stopped = false;
  const timer = setInterval(async () => {
    const [indexed, head] = await Promise.all([indexedBlock(stack.indexerUrl), chainHead(stack).catch(() => undefined)]);
    if (stopped) return;
    const line = indexed === undefined ? "indexer  building its schema, starting the sync…" : `indexer  catching up: block ${indexed} of ${head ?? "?"}`;
    if (tty || (line !== last && Date.now() - lastPrinted >= 5_000)) {
      progress(line);
      last = line;
      lastPrinted = Date.now();
    }
  }, 1_000);
  return () => {
    stopped = true;
    clearInterval(timer);
    clearProgress();
  };
}

function toKey(value: string): `0x${string}` {
  return `0x${value.slice(2).toLowerCase()}`;
}

function optionalKey(value: string | undefined): `0x${string}` | undefined {
  return value === undefined ? undefined : toKey(value);
}

/** One `npm start` per data directory: two would share (and wipe) the same stores. */
async function refuseSecondStack(stack: StackConfig): Promise<void> {
  let pid: number;
  try {
    pid = JSON.parse(await readFile(join(stack.dataDir, "stack.json"), "utf8")).pid;
  } catch {
    return;
  }
  try {
    process.kill(pid, 0);
  } catch {
    return; // a stack that did not stop cleanly left its file behind
  }
  throw new Error(`a stack (pid ${pid}) already runs on ${relative(ROOT, stack.dataDir) || "."}: stop it first, or set STACK_DATA_DIR`);
}

/** The localhost parameters with each relayer job's role granted to the address of that job's key. */
async function writeDeployParameters(stack: StackConfig, jobs: Record<RelayerJob, Address>): Promise<string> {
  const base = JSON.parse(await readFile(join(ROOT, "deploy/parameters/localhost.json"), "utf8"));
  const file = join(stack.dataDir, "deploy-parameters.json");
  await writeFile(file, `${JSON.stringify({ ...base, BeatStreamProtocol: { ...base.BeatStreamProtocol, ...jobs } }, null, 2)}\n`);
  return file;
}

/** A relayer key other than Hardhat's funded accounts starts without ETH for gas: account #0 sends it some. */
async function fundRelayer(stack: StackConfig, relayer: Address): Promise<void> {
  const client = createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) });
  if ((await client.getBalance({ address: relayer })) >= parseEther("10")) return;
  // The node holds account #0's key (Hardhat's unlocked test accounts), so it signs this transfer itself.
  const admin = createWalletClient({ account: ADMIN, chain: hardhat, transport: http(stack.rpcUrl) });
  const hash = await admin.sendTransaction({ to: relayer, value: parseEther("1000") });
  await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  clearProgress();
  say(`[${elapsed()}]   funded the relayer ${relayer} with 1000 ETH from account #0`);
}

function printReady(stack: StackConfig, jobs: Record<RelayerJob, Address>, pids: { chain: number; relayer: number; indexer: number }): void {
  const relayerKeys = RELAYER_JOB_NAMES.map(
    (job) => `    ${jobs[job]} ${job} (${RELAYER_JOBS[job].call})${jobs[job].toLowerCase() === "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" ? ", account #1" : ""}`,
  ).join("\n");
  const data = relative(ROOT, stack.dataDir) || ".";
  const key = stack.OPERATOR_API_KEY;
  say(`
BeatStream local stack is up in ${elapsed().trim()} (chain ${CHAIN_ID}, fresh: an in-memory chain starts empty on every npm start)

  app       ${stack.appUrl.padEnd(28)} the web app: open it in a browser ("dev wallet" = the test accounts below)
  chain     ${stack.rpcUrl.padEnd(28)} Hardhat node, instant mining + a block every second
  relayer   ${stack.relayerUrl.padEnd(28)} POST /v1/plays, GET /v1/batches, /healthz, /metrics
  indexer   ${stack.indexerUrl.padEnd(28)} REST (/stats, /tracks/top, /coins…), POST /graphql, /sql/db
  addresses ${relative(ROOT, join(stack.deploymentsDir, `${CHAIN_ID}.json`))}
  data      ${data}/relayer, ${data}/indexer (PGlite), logs in ${data}/logs   (npm run reset wipes ${data}/)

  keys: Hardhat's well-known test accounts — public, for this local chain only:
    #0 ${ADMIN} deployer, admin, treasury
${relayerKeys}
    (here one key may do all three relayer jobs; production gives each its own: README, "Keys and roles")
  operator key (OPERATOR_API_KEY): ${key}

Try this:
  npm run simulate -- --listeners 10 --minutes 2      # listeners, creators, fans and streams, live
  curl -s ${stack.indexerUrl}/stats
  curl -s '${stack.indexerUrl}/tracks/top?window=24h&limit=5'
  curl -s ${stack.indexerUrl}/coins
  curl -s ${stack.relayerUrl}/v1/batches
  curl -s -X POST -H 'authorization: Bearer ${key}' ${stack.relayerUrl}/v1/admin/flush
  npm run relayer -- verify 1                         # audit batch 1 from public data (DATA_DIR=${data}/relayer)

pids: chain ${pids.chain}, relayer ${pids.relayer}, indexer ${pids.indexer}
ready. Ctrl-C stops everything.`);
}

main().catch(async (error) => {
  say(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown("start failed", 1);
});
