/**
 * `npm run simulate -- --listeners N --minutes M [--json FILE]`: drives a running stack (`npm start`) with real
 * signatures and transactions for M minutes (fractions allowed) — see scripts/stack/simulation.ts — with a progress
 * bar, then prints a summary beside the indexer's /stats and the chain's own figures.
 *
 * Endpoints: RELAYER_URL, INDEXER_URL, RPC_URL (defaults from STACK_HOST and RELAYER_PORT / INDEXER_PORT /
 * CHAIN_PORT, i.e. the local stack), DEPLOYMENTS_DIR, OPERATOR_API_KEY (to flush the last batch).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, formatUnits, http } from "viem";
import { hardhat } from "viem/chains";
import { MusicNFTAbi } from "../indexer/abis/MusicNFT.js";
import { loadStackConfig } from "./stack/config.js";
import { runSimulation, type SimulationProgress, type SimulationSummary } from "./stack/simulation.js";

const USAGE = "usage: npm run simulate -- --listeners N --minutes M [--json FILE]   (against a running `npm start`)";

const { values } = parseArgs({
  options: {
    listeners: { type: "string", default: "10" },
    minutes: { type: "string", default: "2" },
    json: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const listeners = Number(values.listeners);
const minutes = Number(values.minutes);
if (!Number.isInteger(listeners) || listeners < 1 || listeners > 10_000 || !Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
  console.error(`--listeners must be an integer 1–10000 and --minutes a number above 0\n${USAGE}`);
  process.exit(2);
}

const stack = loadStackConfig();
const endpoints = {
  rpcUrl: process.env.RPC_URL || stack.rpcUrl,
  relayerUrl: process.env.RELAYER_URL || stack.relayerUrl,
  indexerUrl: process.env.INDEXER_URL || stack.indexerUrl,
  deploymentsDir: stack.deploymentsDir,
  operatorApiKey: stack.OPERATOR_API_KEY,
};
for (const [name, url] of [["relayer", `${endpoints.relayerUrl}/healthz`], ["indexer", `${endpoints.indexerUrl}/ready`]] as const) {
  const ok = await fetch(url).then((response) => response.ok, () => false);
  if (!ok) {
    console.error(`${name} is not answering at ${url}: start the stack first (npm start)`);
    process.exit(1);
  }
}

const usdc = (units: string | bigint) => formatUnits(BigInt(units), 6);
const tty = process.stdout.isTTY === true;
/** Plays signed (sent to the relayer) at recent progress reports, for a rate over the last ~5 s. */
const recent: { at: number; signed: number }[] = [];
let lastLine = 0;
/**
 * The progress bar: redrawn in place (\r) on a terminal twice a second; a plain line every 10 s when the output is a
 * file or a pipe (CI, `| tee`), where carriage returns would pile up.
 */
function progress({ elapsedSeconds, totalSeconds, summary, phase }: SimulationProgress): void {
  const now = Date.now();
  recent.push({ at: now, signed: summary.plays.signed });
  while (recent.length > 2 && now - recent[0]!.at > 5_000) recent.shift();
  const first = recent[0]!;
  const playsPerSecond = now > first.at ? ((summary.plays.signed - first.signed) * 1000) / (now - first.at) : 0;
  const share = Math.min(1, elapsedSeconds / totalSeconds);
  const width = 24;
  const filled = Math.round(share * width);
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  const rejected = Object.values(summary.plays.rejected).reduce((sum, count) => sum + count, 0);
  const eta = phase === "live" || phase === "setup" ? `ETA ${clock(totalSeconds - elapsedSeconds)}` : phase === "done" ? "done" : `${phase}…`;
  const line =
    `${bar} ${String(Math.round(share * 100)).padStart(3)}% ${clock(elapsedSeconds)}/${clock(totalSeconds)} ${eta.padEnd(12)} ` +
    `plays ${playsPerSecond.toFixed(1).padStart(5)}/s sent, ${summary.plays.accepted} accepted, ${rejected} rejected  ` +
    `engagement ${summary.engagement.applied + summary.engagement.unchanged}/${summary.engagement.sent}  ` +
    `coins ${summary.coins.length}  trades ${summary.trades.buys + summary.trades.sells}  revenue ${summary.revenue.deposits}/${summary.revenue.claims}  ` +
    `streams ${summary.streams.sessions} (${summary.streams.vouchersAcked} vouchers)`;
  if (tty) process.stdout.write(`\r\x1b[2K${line.slice(0, (process.stdout.columns ?? 160) - 1)}`);
  else if (now - lastLine >= 10_000 || phase === "done") {
    lastLine = now;
    console.log(line.replace(bar, `[${phase}]`));
  }
}

console.log(`simulating ${listeners} listeners for ${minutes} min against ${endpoints.relayerUrl} (indexer ${endpoints.indexerUrl})`);
const summary = await runSimulation({ endpoints, listeners, seconds: minutes * 60, onProgress: progress }).catch((error) => {
  console.error(`\nsimulation failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
if (tty) process.stdout.write("\n");
await printSummary(summary);
if (values.json !== undefined) {
  await writeFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`summary written to ${values.json}`);
}

async function printSummary(result: SimulationSummary): Promise<void> {
  const client = createPublicClient({ chain: hardhat, transport: http(endpoints.rpcUrl) });
  const stats = (await (await fetch(`${endpoints.indexerUrl}/stats`)).json()) as Record<string, unknown>;
  const musicNFT = JSON.parse(await readFile(join(endpoints.deploymentsDir, `${hardhat.id}.json`), "utf8")).contracts.MusicNFT.address;
  const totalPlays = await client.readContract({ address: musicNFT, abi: MusicNFTAbi, functionName: "totalPlays" });
  const rejected = Object.entries(result.plays.rejected).map(([code, count]) => `${code} ${count}`).join(", ") || "none";
  const rows: [string, string][] = [
    ["plays signed", String(result.plays.signed)],
    ["plays accepted", `${result.plays.accepted} (committed on-chain now: ${totalPlays}; indexer: ${String(stats.plays)})`],
    ["plays rejected", rejected],
    ["engagement", engagementLine(result)],
    ["batches committed", `${result.batches} (indexer: ${String(stats.batches)})`],
    ["tracks minted", `${result.tracks.length} (indexer, all runs: ${String(stats.tracks)})`],
    ["coins", `${result.coins.map((coin) => `${coin.symbol}${coin.launchedNow ? " (launched now)" : ""}`).join(", ") || "none"} (indexer: ${String(stats.coins)})`],
    ["trades", `${result.trades.buys} buys, ${result.trades.sells} sells, ${usdc(result.trades.volumeUsdc)} USDC (indexer: ${String(stats.trades)} trades, ${usdc(String(stats.volumeUsdc))} USDC)`],
    ["revenue", `${result.revenue.deposits} deposits ${usdc(result.revenue.depositedUsdc)} USDC, ${result.revenue.claims} claims ${usdc(result.revenue.claimedUsdc)} USDC`],
    ["streams", `${result.streams.sessions} sessions by ${result.streams.listeners} listeners, ${result.streams.vouchersAcked} vouchers acked, ${usdc(result.streams.spentUsdc)} USDC (vault settled per indexer: ${usdc(String(stats.vaultSettled))})`],
    ["failed actions", Object.entries(result.failures).map(([what, count]) => `${count}× ${what}`).join("; ") || "none"],
  ];
  console.log("\nsummary");
  for (const [name, value] of rows) console.log(`  ${name.padEnd(18)} ${value}`);
}

/** Accepted engagement by action, then what was refused: `412 sent: play_skip 120, like 40, …; rejected none`. */
function engagementLine({ engagement }: SimulationSummary): string {
  const byAction = Object.entries(engagement.byAction).sort((a, b) => b[1] - a[1]).map(([action, count]) => `${action} ${count}`).join(", ");
  const rejected = Object.entries(engagement.rejected).map(([code, count]) => `${code} ${count}`).join(", ") || "none";
  return `${engagement.sent} sent, ${engagement.applied} applied + ${engagement.unchanged} unchanged: ${byAction || "none"}; rejected ${rejected}`;
}

function clock(seconds: number): string {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}
