import type { Hex } from "viem";
import type { PlaySignatureChecker, PlayToCheck } from "../crypto/signatures.js";
import type { Database, Queryable } from "../repo/db/database.js";
import {
  deleteExpiredRateCounters,
  insertPlaysAlone,
  insertPlaysCounted,
  lockKeys,
  playKey,
  readUsedNoncesAndCounters,
  type CounterIncrement,
} from "../repo/plays.js";
import { loadRateCounters, type RateCounters } from "./rate-counters.js";
import { parseSignedPlay } from "./schema.js";
import type { TrackCatalog } from "./tracks.js";

/** Why an item was refused; stable, part of the API. Listed in the order the checks run. */
export const REJECTION_CODES = [
  "invalid_play",
  "invalid_signature",
  "too_short",
  "too_long",
  "in_future",
  "too_old",
  "duplicate_nonce",
  "unknown_track",
  "rate_limited_listener",
  "rate_limited_ip",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export type IngestResult = { status: "accepted"; id: string } | { status: "rejected"; code: RejectionCode; message?: string };

export type IngestRules = {
  minPlaySeconds: number;
  maxPlaySeconds: number;
  maxAgeSeconds: number;
  clockSkewSeconds: number;
  listenerTrackPerHour: number;
  listenerTrackPerDay: number;
  ipPerMinute: number;
};

export type IngestPlaysParameters = {
  db: Database;
  verifier: PlaySignatureChecker;
  tracks: Pick<TrackCatalog, "minted">;
  rules: IngestRules;
  /** Untrusted items, each checked on its own. */
  items: readonly unknown[];
  clientIp: string;
  /** Unix seconds; injected so tests pin the clock. */
  now?: number;
};
export type IngestPlaysReturnType = IngestResult[];

const HOUR = 3600n;
const DAY = 86_400n;
const MINUTE = 60;

type Candidate = { index: number; signed: PlayToCheck; signatureHash: Hex; hourBucket: string; dayBucket: string };

/**
 * Checks every item in order — shape, signature, duration, time window, nonce, track, rate limits — and
 * stores the accepted ones in one transaction before returning, so a 202 always means "durably stored".
 * A rejected item stores nothing and uses no rate budget.
 *
 * Listener-track limits count by the play's own clock hour and UTC day of `startedAt` (not arrival time), so
 * plays uploaded late from an offline device meet the same limit as live ones. The per-IP limit counts arrivals.
 */
export async function ingestPlays({
  db,
  verifier,
  tracks,
  rules,
  items,
  clientIp,
  now = Math.floor(Date.now() / 1000),
}: IngestPlaysParameters): Promise<IngestPlaysReturnType> {
  const results: (IngestResult | undefined)[] = new Array(items.length);
  const candidates: Candidate[] = [];
  const reject = (index: number, code: RejectionCode, message?: string) => {
    results[index] = message === undefined ? { status: "rejected", code } : { status: "rejected", code, message };
  };

  // Stateless checks: no database, no chain. Signatures are checked all at once (on the verifier's threads).
  const nowBig = BigInt(now);
  const parsed: { index: number; signed: PlayToCheck }[] = [];
  items.forEach((item, index) => {
    const result = parseSignedPlay(item);
    if (result.ok) parsed.push({ index, signed: result.value });
    else reject(index, "invalid_play", result.message);
  });
  const checks = await verifier.check(parsed.map(({ signed }) => signed));
  parsed.forEach(({ index, signed }, at) => {
    const { play } = signed;
    if (!checks[at].valid) return reject(index, "invalid_signature");
    if (play.durationSeconds < rules.minPlaySeconds) return reject(index, "too_short");
    if (play.durationSeconds > rules.maxPlaySeconds) return reject(index, "too_long");
    const end = play.startedAt + BigInt(play.durationSeconds);
    if (end > nowBig + BigInt(rules.clockSkewSeconds)) return reject(index, "in_future");
    if (end < nowBig - BigInt(rules.maxAgeSeconds)) return reject(index, "too_old");
    const trackKey = `${play.listener}:${play.trackId}`;
    candidates.push({
      index,
      signed,
      signatureHash: checks[at].signatureHash,
      hourBucket: `lt:h:${trackKey}:${play.startedAt / HOUR}`,
      dayBucket: `lt:d:${trackKey}:${play.startedAt / DAY}`,
    });
  });

  if (candidates.length > 0) {
    // Read outside the transaction: a chain call must never hold the database (PGlite serialises everything).
    const minted = await tracks.minted(candidates.map((candidate) => candidate.signed.play.trackId));
    const ipBucket = `ip:m:${clientIp}:${Math.floor(now / MINUTE)}`;
    const context = { candidates, minted, rules, ipBucket, now, clientIp };
    const verdicts = db.kind === "pglite" ? await decideAndWriteAlone(db, context) : await decideAndWriteShared(db, context);
    for (const [index, verdict] of verdicts) results[index] = verdict;
  }
  return results.map((result) => result ?? { status: "rejected", code: "invalid_play" });
}

type DecideContext = { candidates: Candidate[]; minted: Set<bigint>; rules: IngestRules; ipBucket: string; now: number; clientIp: string };
type Verdicts = Map<number, IngestResult>;

/**
 * PostgreSQL, which several relayers may share: nonces and rate counters are read and written in one transaction,
 * under per-listener locks so concurrent requests (of any process) cannot overshoot a limit.
 */
async function decideAndWriteShared(db: Database, context: DecideContext): Promise<Verdicts> {
  return db.transaction(async (tx) => {
    const verdicts: Verdicts = new Map();
    const decision = await decide(tx, context);
    decision.rejected.forEach(({ index, code }) => verdicts.set(index, { status: "rejected", code }));
    const ids = await writeAccepted(tx, decision, context.clientIp);
    for (const candidate of decision.accepted) {
      const id = ids.get(playKey(candidate.signed.play.listener, candidate.signed.play.nonce));
      // Unreachable while the listener lock holds; kept so a missed conflict reads as a duplicate, not a 500.
      verdicts.set(candidate.index, id === undefined ? { status: "rejected", code: "duplicate_nonce" } : { status: "accepted", id });
    }
    return verdicts;
  });
}

const aloneCounters = new WeakMap<Database, Promise<RateCounters>>();

/**
 * PGlite, whose data directory this process alone owns: rate counters live in memory (rebuilt from the stored
 * plays on first use, see loadRateCounters) and the nonce check is the insert itself — `ON CONFLICT DO NOTHING` on
 * UNIQUE (listener, nonce) — so accepting a request costs one statement instead of three. Budgets are taken before
 * the insert and given back for the items it finds already used; if that freed budget an item of this request was
 * refused for, those items are decided again, in request order, exactly as if the duplicates had been seen first.
 */
async function decideAndWriteAlone(db: Database, context: DecideContext): Promise<Verdicts> {
  const { rules, ipBucket, now } = context;
  const keepFor = keepForSeconds(rules);
  let countersPromise = aloneCounters.get(db);
  if (countersPromise === undefined) {
    countersPromise = loadRateCounters({ db, now, keepForSeconds: Number(keepFor) });
    aloneCounters.set(db, countersPromise);
  }
  const counters = await countersPromise;
  const verdicts: Verdicts = new Map();
  const seen = new Set<string>();
  let pending = context.candidates;
  while (pending.length > 0) {
    const accepted: { candidate: Candidate; buckets: [string, bigint][] }[] = [];
    const limited: Candidate[] = [];
    for (const candidate of pending) {
      const { play } = candidate.signed;
      const key = playKey(play.listener, play.nonce);
      if (seen.has(key)) verdicts.set(candidate.index, { status: "rejected", code: "duplicate_nonce" });
      else if (!context.minted.has(play.trackId)) verdicts.set(candidate.index, { status: "rejected", code: "unknown_track" });
      else {
        const code = rateVerdict(candidate, rules, ipBucket, (bucket) => counters.get(bucket));
        if (code !== undefined) {
          verdicts.set(candidate.index, { status: "rejected", code });
          limited.push(candidate);
          continue;
        }
        seen.add(key);
        const buckets = bucketsOf(candidate, ipBucket, now, keepFor);
        for (const [bucket, expiresAt] of buckets) counters.add(bucket, 1, expiresAt);
        accepted.push({ candidate, buckets });
      }
    }
    let refunded = false;
    if (accepted.length > 0) {
      const ids = await insertPlaysAlone(db, accepted.map((entry) => entry.candidate), context.clientIp);
      for (const { candidate, buckets } of accepted) {
        const id = ids.get(playKey(candidate.signed.play.listener, candidate.signed.play.nonce));
        if (id !== undefined) {
          verdicts.set(candidate.index, { status: "accepted", id });
          continue;
        }
        verdicts.set(candidate.index, { status: "rejected", code: "duplicate_nonce" });
        for (const [bucket, expiresAt] of buckets) counters.add(bucket, -1, expiresAt);
        refunded = true;
      }
    }
    pending = refunded ? limited : [];
  }
  return verdicts;
}

/** The rate-limit verdict for one candidate against the counts `used` reports, or undefined when within limits. */
function rateVerdict(candidate: Candidate, rules: IngestRules, ipBucket: string, used: (bucket: string) => number): RejectionCode | undefined {
  if (used(candidate.hourBucket) >= rules.listenerTrackPerHour || used(candidate.dayBucket) >= rules.listenerTrackPerDay) return "rate_limited_listener";
  if (used(ipBucket) >= rules.ipPerMinute) return "rate_limited_ip";
  return undefined;
}

/** The windows an accepted play counts in, with when each can be forgotten. */
function bucketsOf(candidate: Candidate, ipBucket: string, now: number, keepFor: bigint): [string, bigint][] {
  const { startedAt } = candidate.signed.play;
  return [
    [candidate.hourBucket, (startedAt / HOUR + 1n) * HOUR + keepFor],
    [candidate.dayBucket, (startedAt / DAY + 1n) * DAY + keepFor],
    [ipBucket, BigInt((Math.floor(now / MINUTE) + 1) * MINUTE)],
  ];
}

/** A startedAt bucket stays live while a play in it can still be accepted: window end + longest play + max age. */
function keepForSeconds(rules: IngestRules): bigint {
  return BigInt(rules.maxPlaySeconds + rules.maxAgeSeconds + rules.clockSkewSeconds);
}

type Decision = {
  accepted: Candidate[];
  rejected: { index: number; code: RejectionCode }[];
  increments: Map<string, CounterIncrement>;
};

/**
 * Nonce, track and rate-limit verdicts, taken under per-listener locks so concurrent requests cannot overshoot.
 * Used nonces and current counters come back in one statement.
 */
async function decide(tx: Queryable, { candidates, minted, rules, ipBucket, now }: DecideContext): Promise<Decision> {
  const listeners = [...new Set(candidates.map((candidate) => candidate.signed.play.listener))];
  // Per-listener locks first, so the reads below see every concurrent request of the same listeners.
  await lockKeys(tx, listeners);
  const buckets = new Set([ipBucket, ...candidates.flatMap((c) => [c.hourBucket, c.dayBucket])]);
  const { usedNonces, counts } = await readUsedNoncesAndCounters(tx, candidates.map((c) => c.signed), [...buckets]);
  const increments: Decision["increments"] = new Map();
  const used = (bucket: string) => (counts.get(bucket) ?? 0) + (increments.get(bucket)?.count ?? 0);
  const keepFor = keepForSeconds(rules);

  const decision: Decision = { accepted: [], rejected: [], increments };
  for (const candidate of candidates) {
    const { play } = candidate.signed;
    const key = playKey(play.listener, play.nonce);
    const code = usedNonces.has(key) ? "duplicate_nonce" : !minted.has(play.trackId) ? "unknown_track" : rateVerdict(candidate, rules, ipBucket, used);
    if (code !== undefined) {
      decision.rejected.push({ index: candidate.index, code });
      continue;
    }
    usedNonces.add(key);
    for (const [bucket, expiresAt] of bucketsOf(candidate, ipBucket, now, keepFor)) {
      const entry = increments.get(bucket);
      if (entry === undefined) increments.set(bucket, { count: 1, expiresAt });
      else entry.count += 1;
    }
    decision.accepted.push(candidate);
  }
  return decision;
}

/** The accepted plays and their rate-counter increments, in one statement; play ids keyed by playKey. */
function writeAccepted(tx: Queryable, { accepted, increments }: Decision, clientIp: string): Promise<Map<string, string>> {
  return insertPlaysCounted(tx, accepted, increments, clientIp);
}

export type PruneRateCountersParameters = { db: Database; now?: number };

/** Deletes counter windows that no acceptable play can fall into any more; returns how many went. */
export async function pruneRateCounters({ db, now = Math.floor(Date.now() / 1000) }: PruneRateCountersParameters): Promise<number> {
  const inMemory = aloneCounters.get(db);
  const prunedInMemory = inMemory === undefined ? 0 : (await inMemory).prune(now);
  return (await deleteExpiredRateCounters(db, now)) + prunedInMemory;
}
