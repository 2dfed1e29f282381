import type { Database } from "../repo/db/database.js";
import { readRateWindows } from "../repo/plays.js";

/**
 * Fixed-window rate counters held in this process. Exact only where this process is the store's single writer:
 * PGlite, whose data directory one process owns. On PostgreSQL several relayers ingest into one database, so the
 * counters live in its `rate_counters` table instead.
 */
export type RateCounters = {
  get(bucket: string): number;
  add(bucket: string, count: number, expiresAt: bigint): void;
  /** Drops windows that expired before `now` (unix seconds); returns how many went. */
  prune(now: number): number;
};

export function createRateCounters(): RateCounters {
  const counts = new Map<string, { count: number; expiresAt: bigint }>();
  return {
    get: (bucket) => counts.get(bucket)?.count ?? 0,
    add(bucket, count, expiresAt) {
      const entry = counts.get(bucket);
      if (entry === undefined) counts.set(bucket, { count, expiresAt });
      else if ((entry.count += count) <= 0) counts.delete(bucket);
    },
    prune(now) {
      let pruned = 0;
      for (const [bucket, entry] of counts) {
        if (entry.expiresAt < BigInt(now)) {
          counts.delete(bucket);
          pruned++;
        }
      }
      return pruned;
    },
  };
}

export type LoadRateCountersParameters = {
  db: Database;
  /** Unix seconds. */
  now: number;
  /** How long after its window a listener-track bucket can still receive plays (longest play + max age + skew). */
  keepForSeconds: number;
};

/**
 * Rebuilds the counters from the stored plays, so a restart neither forgets nor doubles a window: listener-track
 * windows by the play's own hour and day, the per-IP window by arrival minute — the keys `ingestPlays` builds.
 */
export async function loadRateCounters({ db, now, keepForSeconds }: LoadRateCountersParameters): Promise<RateCounters> {
  const counters = createRateCounters();
  const since = BigInt(now - keepForSeconds - 86_400);
  const minute = Math.floor(now / 60);
  for (const { bucket, count, windowEnd } of await readRateWindows(db, { since, minute })) {
    counters.add(bucket, count, windowEnd + (bucket.startsWith("ip:") ? 0n : BigInt(keepForSeconds)));
  }
  return counters;
}
