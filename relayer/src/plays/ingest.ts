import type { Hex } from "viem";
import type { Database, Queryable } from "../db/database.js";
import { parseSignedPlay, type SignedPlay } from "./schema.js";
import type { TrackCatalog } from "./tracks.js";
import { signatureHash, type PlayVerifier } from "./verify.js";

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
  verifier: Pick<PlayVerifier, "verify">;
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

type Candidate = { index: number; signed: SignedPlay; hourBucket: string; dayBucket: string };

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

  // Stateless checks: no database, no chain.
  const nowBig = BigInt(now);
  items.forEach((item, index) => {
    const parsed = parseSignedPlay(item);
    if (!parsed.ok) return reject(index, "invalid_play", parsed.message);
    const { play, signature } = parsed.value;
    if (!verifier.verify(play, signature)) return reject(index, "invalid_signature");
    if (play.durationSeconds < rules.minPlaySeconds) return reject(index, "too_short");
    if (play.durationSeconds > rules.maxPlaySeconds) return reject(index, "too_long");
    const end = play.startedAt + BigInt(play.durationSeconds);
    if (end > nowBig + BigInt(rules.clockSkewSeconds)) return reject(index, "in_future");
    if (end < nowBig - BigInt(rules.maxAgeSeconds)) return reject(index, "too_old");
    const trackKey = `${play.listener}:${play.trackId}`;
    candidates.push({
      index,
      signed: parsed.value,
      hourBucket: `lt:h:${trackKey}:${play.startedAt / HOUR}`,
      dayBucket: `lt:d:${trackKey}:${play.startedAt / DAY}`,
    });
  });

  if (candidates.length > 0) {
    // Read outside the transaction: a chain call must never hold the database (PGlite serialises everything).
    const minted = await tracks.minted(candidates.map((candidate) => candidate.signed.play.trackId));
    const ipBucket = `ip:m:${clientIp}:${Math.floor(now / MINUTE)}`;
    await db.transaction(async (tx) => {
      // PGlite runs one transaction at a time in one process, so the per-listener locks only matter on PostgreSQL.
      const verdicts = await decide(tx, { candidates, minted, rules, ipBucket, now, lockListeners: db.kind === "postgres" });
      verdicts.rejected.forEach(({ index, code }) => reject(index, code));
      const ids = await writeAccepted(tx, verdicts, clientIp);
      for (const candidate of verdicts.accepted) {
        const id = ids.get(playKey(candidate.signed.play.listener, candidate.signed.play.nonce));
        // Unreachable while the listener lock holds; kept so a missed conflict reads as a duplicate, not a 500.
        if (id === undefined) reject(candidate.index, "duplicate_nonce");
        else results[candidate.index] = { status: "accepted", id };
      }
    });
  }
  return results.map((result) => result ?? { status: "rejected", code: "invalid_play" });
}

type Decision = {
  accepted: Candidate[];
  rejected: { index: number; code: RejectionCode }[];
  increments: Map<string, { count: number; expiresAt: bigint }>;
};

/**
 * Nonce, track and rate-limit verdicts, taken under per-listener locks (PostgreSQL) so concurrent requests cannot
 * overshoot. Used nonces and current counters come back in one statement: each round trip costs as much as
 * dozens of rows on PGlite.
 */
async function decide(
  tx: Queryable,
  {
    candidates,
    minted,
    rules,
    ipBucket,
    now,
    lockListeners,
  }: { candidates: Candidate[]; minted: Set<bigint>; rules: IngestRules; ipBucket: string; now: number; lockListeners: boolean },
): Promise<Decision> {
  if (lockListeners) {
    const listeners = [...new Set(candidates.map((candidate) => candidate.signed.play.listener))];
    // Locks taken in hash order, the same in every transaction, so two requests cannot deadlock on each other.
    // A statement of its own: a statement's snapshot predates the locks it takes, so the reads must come after.
    await tx.query(
      `SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS locks`,
      [listeners],
    );
  }
  const buckets = new Set([ipBucket, ...candidates.flatMap((c) => [c.hourBucket, c.dayBucket])]);
  const { rows } = await tx.query<{ kind: string; key: string; count: number | null }>(
    `SELECT 'nonce' AS kind, p.listener || ':' || p.nonce AS key, NULL::integer AS count FROM plays p
       JOIN unnest($1::text[], $2::text[]) AS wanted (listener, nonce)
         ON p.listener = wanted.listener AND p.nonce = wanted.nonce
     UNION ALL
     SELECT 'bucket', bucket, count FROM rate_counters WHERE bucket = ANY($3::text[])`,
    [candidates.map((c) => c.signed.play.listener), candidates.map((c) => c.signed.play.nonce), [...buckets]],
  );
  // The key is built as playKey builds it: listener, colon, nonce.
  const usedNonces = new Set(rows.filter((row) => row.kind === "nonce").map((row) => row.key));
  const counters = rows.filter((row) => row.kind === "bucket").map((row) => ({ bucket: row.key, count: Number(row.count) }));
  const counts = new Map(counters.map((row) => [row.bucket, Number(row.count)]));
  const increments: Decision["increments"] = new Map();
  const used = (bucket: string) => (counts.get(bucket) ?? 0) + (increments.get(bucket)?.count ?? 0);
  const add = (bucket: string, expiresAt: bigint) => {
    const entry = increments.get(bucket);
    if (entry === undefined) increments.set(bucket, { count: 1, expiresAt });
    else entry.count += 1;
  };
  // A startedAt bucket stays live while a play in it can still be accepted: window end + longest play + max age.
  const keepFor = BigInt(rules.maxPlaySeconds + rules.maxAgeSeconds + rules.clockSkewSeconds);

  const decision: Decision = { accepted: [], rejected: [], increments };
  for (const candidate of candidates) {
    const { play } = candidate.signed;
    const key = playKey(play.listener, play.nonce);
    let code: RejectionCode | undefined;
    if (usedNonces.has(key)) code = "duplicate_nonce";
    else if (!minted.has(play.trackId)) code = "unknown_track";
    else if (used(candidate.hourBucket) >= rules.listenerTrackPerHour || used(candidate.dayBucket) >= rules.listenerTrackPerDay)
      code = "rate_limited_listener";
    else if (used(ipBucket) >= rules.ipPerMinute) code = "rate_limited_ip";
    if (code !== undefined) {
      decision.rejected.push({ index: candidate.index, code });
      continue;
    }
    usedNonces.add(key);
    add(candidate.hourBucket, (play.startedAt / HOUR + 1n) * HOUR + keepFor);
    add(candidate.dayBucket, (play.startedAt / DAY + 1n) * DAY + keepFor);
    add(ipBucket, BigInt((Math.floor(now / MINUTE) + 1) * MINUTE));
    decision.accepted.push(candidate);
  }
  return decision;
}

/**
 * The accepted plays and their rate-counter increments in one statement (the counters in a data-modifying CTE,
 * which PostgreSQL always runs to completion); returns play ids keyed by listener and nonce.
 */
async function writeAccepted(tx: Queryable, { accepted, increments }: Decision, clientIp: string): Promise<Map<string, string>> {
  if (accepted.length === 0) return new Map();
  const column = <T>(pick: (signed: SignedPlay) => T) => accepted.map((candidate) => pick(candidate.signed));
  const counters = [...increments.entries()];
  const { rows } = await tx.query<{ id: string; listener: string; nonce: string }>(
    `WITH counted AS (
       INSERT INTO rate_counters (bucket, count, expires_at)
       SELECT * FROM unnest($9::text[], $10::integer[], $11::bigint[])
       ON CONFLICT (bucket) DO UPDATE SET count = rate_counters.count + EXCLUDED.count
     )
     INSERT INTO plays (listener, track_id, started_at, duration_seconds, nonce, signature, signature_hash, client_ip)
     SELECT listener, track_id, started_at, duration_seconds, nonce, signature, signature_hash, $8
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[])
         AS input (listener, track_id, started_at, duration_seconds, nonce, signature, signature_hash)
     ON CONFLICT (listener, nonce) DO NOTHING
     RETURNING id::text AS id, listener, nonce`,
    [
      column((s) => s.play.listener),
      column((s) => s.play.trackId.toString()),
      column((s) => s.play.startedAt.toString()),
      column((s) => String(s.play.durationSeconds)),
      column((s) => s.play.nonce),
      column((s) => s.signature),
      column((s): Hex => signatureHash(s.signature)),
      clientIp,
      counters.map(([bucket]) => bucket),
      counters.map(([, entry]) => entry.count),
      counters.map(([, entry]) => entry.expiresAt.toString()),
    ],
  );
  return new Map(rows.map((row) => [playKey(row.listener, row.nonce), row.id]));
}

export type PruneRateCountersParameters = { db: Database; now?: number };

/** Deletes counter windows that no acceptable play can fall into any more; returns how many went. */
export async function pruneRateCounters({ db, now = Math.floor(Date.now() / 1000) }: PruneRateCountersParameters): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM rate_counters WHERE expires_at < $1`, [now]);
  return rowCount;
}

function playKey(listener: string, nonce: string): string {
  return `${listener}:${nonce}`;
}
