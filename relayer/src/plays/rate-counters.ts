import type { Database } from "../db/database.js";

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
  const { rows } = await db.query<{ bucket: string; count: number; window_end: string }>(
    `SELECT 'lt:h:' || listener || ':' || track_id || ':' || (started_at / 3600) AS bucket, count(*)::integer AS count,
            ((started_at / 3600 + 1) * 3600)::text AS window_end
       FROM plays WHERE started_at >= $1 GROUP BY listener, track_id, started_at / 3600
     UNION ALL
     SELECT 'lt:d:' || listener || ':' || track_id || ':' || (started_at / 86400), count(*)::integer,
            ((started_at / 86400 + 1) * 86400)::text
       FROM plays WHERE started_at >= $1 GROUP BY listener, track_id, started_at / 86400
     UNION ALL
     SELECT 'ip:m:' || client_ip || ':' || $2::bigint, count(*)::integer, (($2::bigint + 1) * 60)::text
       FROM plays WHERE client_ip IS NOT NULL AND received_at >= to_timestamp($2::bigint * 60) GROUP BY client_ip`,
    [since.toString(), minute],
  );
  for (const row of rows) {
    const ip = row.bucket.startsWith("ip:");
    counters.add(row.bucket, Number(row.count), BigInt(row.window_end) + (ip ? 0n : BigInt(keepForSeconds)));
  }
  return counters;
}
