/**
 * The soak's play load, a process of its own (`node --import tsx bench/soak/plays.ts`, input in the environment
 * variable SOAK_PLAYS as JSON): POST /v1/plays at a fixed rate for a fixed time, open loop (requests leave on a
 * schedule whatever the answers do, at most `maxInFlight` at once), every play signed just before it is sent
 * (native secp256k1 over the relayer's EIP-712 digest) and distinct, acceptable under the default rules.
 *
 * Prints one `MINUTE {json}` line at the end of each minute (requests, plays sent, accepted, rejected by code,
 * failed requests, requests dropped because `maxInFlight` were still unanswered, how far the schedule fell behind, latency p50/p99/max of the requests sent in that minute) and `DONE {json}` with the totals.
 */
import { randomBytes } from "node:crypto";
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { bytesToHex, type Address } from "viem";
import type { Play } from "../../relayer/src/crypto/eip712.js";
import { createPlayVerifier } from "../../relayer/src/crypto/signatures.js";
import { postJson, randomAccount, signedPlayItem } from "../shared.js";

type Input = { url: string; chainId: number; musicNFT: Address; tracks: number; listeners: number; playsPerSecond: number; playsPerRequest: number; seconds: number; maxInFlight: number };
export type MinuteLine = { minute: number; requests: number; sent: number; accepted: number; rejected: Record<string, number>; failed: number; dropped: number; p50Ms: number; p99Ms: number; maxMs: number; behindMs: number };
export type DoneLine = { requests: number; sent: number; accepted: number; rejected: Record<string, number>; failed: number; dropped: number; seconds: number; cpuPercent: number };

const input: Input = JSON.parse(process.env.SOAK_PLAYS ?? "{}");
const verifier = createPlayVerifier({ chainId: input.chainId, musicNFT: input.musicNFT });
const listeners = Array.from({ length: input.listeners }, randomAccount);

let serial = 0;
/** The next distinct play: listeners round-robin, tracks cycling every `listeners` plays, ended 1–11 minutes ago. */
function nextPlay() {
  const n = serial++;
  const { key, address } = listeners[n % listeners.length]!;
  const durationSeconds = 30 + (n % 200);
  const play: Play = {
    listener: address,
    trackId: BigInt(1 + (Math.floor(n / listeners.length) % input.tracks)),
    startedAt: BigInt(Math.floor(Date.now() / 1000) - durationSeconds - 60 - (n % 600)),
    durationSeconds,
    nonce: bytesToHex(randomBytes(32)),
  };
  return signedPlayItem(verifier, play, key);
}

const url = new URL("/v1/plays", input.url);
const agent = new Agent({ keepAlive: true, maxSockets: input.maxInFlight });
const post = (body: string) => postJson(agent, url, body, 30_000);

const newMinute = (minute: number) => ({ minute, requests: 0, sent: 0, accepted: 0, rejected: {} as Record<string, number>, failed: 0, dropped: 0, latencies: [] as number[], behindMs: 0 });
const totals = { requests: 0, sent: 0, accepted: 0, rejected: {} as Record<string, number>, failed: 0, dropped: 0 };
let current = newMinute(1);
let inFlight = 0;
const pending = new Set<Promise<void>>();

function send(): void {
  const plays = Array.from({ length: input.playsPerRequest }, nextPlay);
  const minute = current;
  minute.requests += 1;
  minute.sent += plays.length;
  inFlight += 1;
  const sentAt = performance.now();
  const done: Promise<void> = post(JSON.stringify({ plays }))
    .then(({ status, text }) => {
      minute.latencies.push(performance.now() - sentAt);
      if (status !== 202) throw new Error(`POST /v1/plays answered ${status}: ${text.slice(0, 200)}`);
      for (const result of (JSON.parse(text) as { results: { status: string; code?: string }[] }).results) {
        if (result.status === "accepted") minute.accepted += 1;
        else minute.rejected[result.code ?? "?"] = (minute.rejected[result.code ?? "?"] ?? 0) + 1;
      }
    })
    .catch((error) => {
      minute.failed += 1;
      if (minute.failed <= 3) console.error(`[plays] ${error instanceof Error ? error.message : String(error)}`);
    })
    .finally(() => {
      inFlight -= 1;
      pending.delete(done);
    });
  pending.add(done);
}

function closeMinute(minute: ReturnType<typeof newMinute>): void {
  const { latencies, ...counts } = minute;
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => (latencies.length === 0 ? 0 : Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]! * 10) / 10);
  const line: MinuteLine = { ...counts, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: Math.round((latencies.at(-1) ?? 0) * 10) / 10 };
  totals.requests += line.requests;
  totals.sent += line.sent;
  totals.accepted += line.accepted;
  totals.failed += line.failed;
  totals.dropped += line.dropped;
  for (const [code, count] of Object.entries(line.rejected)) totals.rejected[code] = (totals.rejected[code] ?? 0) + count;
  console.log(`MINUTE ${JSON.stringify(line)}`);
}

const intervalMs = (1000 * input.playsPerRequest) / input.playsPerSecond;
const cpuBefore = process.cpuUsage();
const start = performance.now();
const end = start + input.seconds * 1000;
let due = start;
let minuteEnd = start + 60_000;
// A 5 ms tick sends every request whose time has come; requests the in-flight cap holds back are skipped, not queued.
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const now = performance.now();
    while (due <= Math.min(now, end)) {
      if (inFlight < input.maxInFlight) send();
      else current.dropped += 1;
      due += intervalMs;
    }
    current.behindMs = Math.max(current.behindMs, Math.round(now - due));
    if (now >= minuteEnd || now >= end) {
      // Answers still in flight are counted in the minute they were sent in, before it is printed.
      const closing = current;
      current = newMinute(closing.minute + 1);
      minuteEnd += 60_000;
      const flights = [...pending];
      void Promise.all(flights).then(() => closeMinute(closing));
      if (now >= end) {
        clearInterval(tick);
        void Promise.all(flights).then(() => resolve());
      }
    }
  }, 5);
});
await new Promise((resolve) => setTimeout(resolve, 50));
const cpu = process.cpuUsage(cpuBefore);
const seconds = (performance.now() - start) / 1000;
const doneLine: DoneLine = { ...totals, seconds, cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) };
console.log(`DONE ${JSON.stringify(doneLine)}`);
agent.destroy();
