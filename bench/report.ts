/**
 * Renders BENCHMARKS.md from bench/results/*.json, so the document always shows what the benchmarks last measured.
 *
 *   npm run bench:report   (the last step of `npm run bench`)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

type Target = { op: "≥" | "<" | "≤"; value: number };
/**
 * `table`: a key of the results holding rows (objects with the same keys), rendered as a table of their own;
 * `notes`: a markdown file shown under the section's figures (runs recorded beside the latest).
 */
type Section = { file: string; title: string; command: string; about: string; targets: Record<string, Target>; table?: string; notes?: string };

const SECTIONS: Section[] = [
  {
    file: "gas",
    title: "Gas (receipt gasUsed, including the 21,000 base)",
    command: "npm run bench:gas",
    about: "Deterministic on the in-process Hardhat network (cancun, optimizer 20,000 runs): these numbers are exact.",
    targets: {
      "commitPlays.fixed": { op: "≤", value: 60_000 },
      "commitPlays.perTrack.existing": { op: "≤", value: 6_000 },
      "commitPlays.perTrack.new": { op: "≤", value: 25_000 },
      launchCoin: { op: "≤", value: 350_000 },
      buy: { op: "≤", value: 100_000 },
      sell: { op: "≤", value: 100_000 },
      "revenue.deposit": { op: "≤", value: 50_000 },
      "revenue.claim": { op: "≤", value: 50_000 },
      "coin.transfer": { op: "≤", value: 60_000 },
      "settle.perVoucher.first": { op: "≤", value: 45_000 },
      "settle.perVoucher.repeat": { op: "≤", value: 20_000 },
    },
  },
  {
    file: "relayer",
    title: "Relayer ingestion",
    command: "npm run bench:relayer",
    about:
      "POST /v1/plays end to end over HTTP on 127.0.0.1 against the real server process, accepted plays durably stored; PGlite (the default) and, with TEST_DATABASE_URL, PostgreSQL (`.postgres` keys). The load generator shares the machine.",
    targets: { "acceptedPerSecond.batch100": { op: "≥", value: 10_000 }, "p99Ms.batch100": { op: "<", value: 100 } },
    notes: "bench/results/relayer-memory.md",
  },
  {
    file: "stream",
    title: "Pay-per-second streaming",
    command: "npm run bench:stream",
    about: "Real WebSocket sessions on 127.0.0.1, one voucher per session every 5 s; settle gas per voucher on the Hardhat network.",
    targets: { concurrentSessions: { op: "≥", value: 10_000 }, voucherAckP99Ms: { op: "<", value: 50 }, sessionsWithinAckTarget: { op: "≥", value: 10_000 } },
  },
  {
    file: "indexer",
    title: "Indexer (Ponder)",
    notes: "bench/results/indexer-runs.md",
    command: "npm run bench:indexer",
    about:
      "Historical sync of a generated chain of ≥ 100,000 protocol events, by the indexer and by bare Ponder (no-op handlers) in the same run (`ratioToBaseline` = indexer events/s ÷ bare events/s, `cpuRatioToBaseline` the same from CPU µs per event), then REST load at 500 requests/s on PostgreSQL. See docs/indexer-bench.md for how each figure is taken and docs/indexer-perf.md for the ratio over several runs and the profile behind it.",
    targets: {
      "syncEventsPerSecond.postgres": { op: "≥", value: 8_000 },
      "syncEventsPerSecond.pglite": { op: "≥", value: 4_000 },
      "ratioToBaseline.postgres": { op: "≥", value: 0.9 },
      "ratioToBaseline.pglite": { op: "≥", value: 0.9 },
      "peakRssMb.pglite": { op: "<", value: 1_024 },
      "peakRssMb.postgres": { op: "<", value: 1_024 },
      "p99Ms.tracksTop": { op: "<", value: 20 },
      "p99Ms.stats": { op: "<", value: 20 },
    },
  },
  {
    file: "analytics",
    title: "Analytics API",
    command: "npm run bench:analytics",
    about:
      "A year of activity (2,000 tracks, 300 artists, 20,000 listeners; plays and engagement events generated in the database with skewed popularity) rolled up by the real rollup, then the real relayer process at a fixed 500 requests/s (open loop) on `GET /v1/stats/tracks/:id` (totals) and `?range=1y&interval=day` (365 points, growth, unique listeners), tracks asked for as often as they are played, while 10 real signed plays/s go in through `POST /v1/plays` (so the rollup commits every cycle and what it touches is computed again). Each target's first 10 s after the relayer starts (cold start: nothing kept yet) is its own row and key (`…ColdStart`); the targets are read on the 20 s after it. PGlite and, with TEST_DATABASE_URL, PostgreSQL (`.postgres` keys). The table adds an artist endpoint and a top list at 100/s. Relayer, load generator and database share the machine.",
    targets: {
      "p99Ms.totals": { op: "<", value: 20 },
      "p99Ms.series1yDaily": { op: "<", value: 50 },
      "p99Ms.totals.postgres": { op: "<", value: 20 },
      "p99Ms.series1yDaily.postgres": { op: "<", value: 50 },
    },
    table: "table",
    notes: "bench/results/analytics-runs.md",
  },
  {
    file: "soak",
    title: "Relayer soak (not in `npm run bench`)",
    command: "npm run bench:soak",
    about:
      "One relayer for 10 minutes at 1,000 signed plays/s (requests of 10) plus 1,000 open pay-per-second streams (a voucher each every 5 s), batches committed and vouchers settled on the in-process Hardhat chain on their default schedules; RSS and p99 sampled each minute; growth from minute 2 to the last; every accepted play must be on-chain exactly once. The relayer, the chain and both load generators share the machine (and other jobs: see the load average).",
    targets: { rssGrowthPercent: { op: "<", value: 5 }, playP99GrowthPercent: { op: "<", value: 5 } },
    table: "table",
  },
];

const met = (value: number, { op, value: bound }: Target) => (op === "≥" ? value >= bound : op === "<" ? value < bound : value <= bound);
const format = (value: unknown) => (typeof value === "number" ? value.toLocaleString("en-US") : JSON.stringify(value));

const lines: string[] = [
  "# Benchmarks",
  "",
  "Generated by `npm run bench:report` from `bench/results/*.json`; `npm run bench` runs every benchmark and then",
  "this report. Speed targets live here, never in unit tests. Each section names the machine and its load while it",
  "ran: on a 2-core machine shared with other jobs the wall-clock figures move a lot, the CPU-per-operation figures",
  "much less.",
  "",
];
for (const section of SECTIONS) {
  const path = `bench/results/${section.file}.json`;
  lines.push(`## ${section.title}`, "", `\`${section.command}\` → \`${path}\`. ${section.about}`, "");
  if (!existsSync(path)) {
    lines.push("Not measured yet.", "");
    continue;
  }
  const { conditions, ...figures } = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown> & { conditions?: Record<string, unknown> };
  const rows = section.table === undefined ? undefined : (figures[section.table] as Record<string, unknown>[] | undefined);
  if (section.table !== undefined) delete figures[section.table];
  lines.push("| figure | value | target |", "| --- | ---: | --- |");
  for (const [key, value] of Object.entries(figures)) {
    const target = section.targets[key];
    const verdict = target === undefined || typeof value !== "number" ? "" : `${target.op} ${target.value.toLocaleString("en-US")} ${met(value, target) ? "✅" : "❌ missed"}`;
    lines.push(`| \`${key}\` | ${format(value)} | ${verdict} |`);
  }
  lines.push("");
  if (rows !== undefined && rows.length > 0) {
    const columns = Object.keys(rows[0]!);
    lines.push(`| ${columns.join(" | ")} |`, `| ${columns.map(() => "---:").join(" | ")} |`, ...rows.map((row) => `| ${columns.map((column) => (typeof row[column] === "string" ? row[column] : format(row[column]))).join(" | ")} |`), "");
  }
  if (section.notes !== undefined && existsSync(section.notes)) lines.push(readFileSync(section.notes, "utf8").trimEnd(), "");
  if (conditions !== undefined) {
    lines.push("<details><summary>conditions</summary>", "", "```json", JSON.stringify(conditions, null, 2), "```", "", "</details>", "");
  }
}
writeFileSync("BENCHMARKS.md", lines.join("\n"));
console.log("wrote BENCHMARKS.md");
