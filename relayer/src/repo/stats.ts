import { SHARE_CHANNELS } from "../crypto/eip712.js";
import type { Database, Queryable } from "./db/database.js";

/**
 * The statistics tables of migration 7: what the rollup (engagement/rollup.ts) writes and the analytics API reads.
 * A scope is a track (kind 't', key = decimal id) or an artist (kind 'a', key = lowercase address).
 */

export type ScopeKind = "t" | "a";
export type SetGrain = "hour" | "day" | "all";
export type BucketGrain = "hour" | "day" | "week" | "month" | "year";

/** The counters every time bucket keeps (net change within the bucket; listeners = distinct within it). */
export const BUCKET_METRICS = ["plays", "listeners", "likes", "saves", "shares", "downloads", "comments", "completes", "skips", "followers"] as const;
export type BucketMetric = (typeof BUCKET_METRICS)[number];

/** Share channels as the signed struct's list names them (crypto/eip712.ts). */
export { SHARE_CHANNELS };

/** All-time counters: the bucket metrics and shares by channel. */
export const TOTAL_METRICS = [...BUCKET_METRICS, ...SHARE_CHANNELS.map((channel) => `shares_${channel}` as const)] as const;
export type TotalMetric = (typeof TOTAL_METRICS)[number];

export type Counters<M extends string> = Record<M, number>;

// ---------------------------------------------------------------------------------------------------------------
// The rollup's cursor

export type Cursors = { plays: { rolledTo: bigint; safeTo: bigint }; engagement: { rolledTo: bigint; safeTo: bigint } };

/** Both cursors; `lock` takes their rows FOR UPDATE, so two rollups (two processes on one PostgreSQL) run one after the other. */
export async function readCursors(db: Queryable, { lock = false }: { lock?: boolean } = {}): Promise<Cursors> {
  const { rows } = await db.query<{ source: "plays" | "engagement"; rolled_to: string; safe_to: string }>(
    `SELECT source, rolled_to::text, safe_to::text FROM stats_cursors ORDER BY source${lock ? " FOR UPDATE" : ""}`,
  );
  const cursor = (source: "plays" | "engagement") => {
    const row = rows.find((r) => r.source === source);
    return { rolledTo: BigInt(row?.rolled_to ?? 0), safeTo: BigInt(row?.safe_to ?? 0) };
  };
  return { plays: cursor("plays"), engagement: cursor("engagement") };
}

/**
 * Raises each cursor's `safe_to` to the table's highest id, read while no insert into plays or engagement_events
 * is in flight: a SHARE lock waits for every transaction that has inserted (ROW EXCLUSIVE) to end and lets no new one
 * start, so every id at or below the maximum then seen belongs to a transaction that has committed (the row is
 * visible) or rolled back (the id is a gap for ever). Without it, a lower id taken by a slower transaction could
 * commit after the cursor had passed it. While the lock is asked for, new inserts queue behind it, so the wait is
 * bounded by `lockTimeoutMs` (an insert transaction takes a few ms); false when it ran out (ingestion was busy: the
 * previous horizon stays, the next cycle tries again).
 */
export async function raiseSafeHorizon(db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> }, { lockTimeoutMs = 50 }: { lockTimeoutMs?: number } = {}): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      await tx.query(`LOCK TABLE plays, engagement_events IN SHARE MODE`);
      await tx.query(
        `UPDATE stats_cursors c SET safe_to = GREATEST(c.safe_to, m.top), updated_at = now()
           FROM (SELECT 'plays' AS source, COALESCE((SELECT max(id) FROM plays), 0) AS top
                 UNION ALL SELECT 'engagement', COALESCE((SELECT max(id) FROM engagement_events), 0)) m
          WHERE c.source = m.source`,
      );
    });
    return true;
  } catch (error) {
    // 55P03 lock_not_available: ingestion held the tables past the timeout.
    if ((error as { code?: string }).code === "55P03") return false;
    throw error;
  }
}

export async function writeCursors(db: Queryable, plays: bigint, engagement: bigint): Promise<void> {
  await db.query(
    `UPDATE stats_cursors SET rolled_to = CASE source WHEN 'plays' THEN $1::bigint ELSE $2::bigint END, updated_at = now()`,
    [plays.toString(), engagement.toString()],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Raw rows the rollup reads

export type RolledPlay = { id: bigint; listener: string; trackId: bigint; at: number };
export type RolledEvent = { id: bigint; fan: string; action: string; trackId: bigint; artist: string; text: string; value: number; at: number };

/** Plays with `after` < id ≤ `upTo`, in id order, at most `limit`. */
export async function readPlaysAfter(db: Queryable, after: bigint, upTo: bigint, limit: number): Promise<RolledPlay[]> {
  const { rows } = await db.query<{ id: string; listener: string; track_id: string; started_at: string }>(
    `SELECT id::text, listener, track_id::text, started_at::text FROM plays p WHERE p.id > $1 AND p.id <= $2 ORDER BY p.id LIMIT $3`,
    [after.toString(), upTo.toString(), limit],
  );
  return rows.map((r) => ({ id: BigInt(r.id), listener: r.listener.toLowerCase(), trackId: BigInt(r.track_id), at: Number(r.started_at) }));
}

/** Effective engagement events with `after` < id ≤ `upTo`, in id order, at most `limit` (the others count for nothing). */
export async function readEventsAfter(db: Queryable, after: bigint, upTo: bigint, limit: number): Promise<RolledEvent[]> {
  const { rows } = await db.query<{ id: string; fan: string; action: string; track_id: string; artist: string; text: string; value: string; issued_at: string }>(
    `SELECT id::text, fan, action, track_id::text, artist, text, value::text, issued_at::text
       FROM engagement_events e WHERE e.id > $1 AND e.id <= $2 AND e.effective ORDER BY e.id LIMIT $3`,
    [after.toString(), upTo.toString(), limit],
  );
  return rows.map((r) => ({
    id: BigInt(r.id),
    fan: r.fan.toLowerCase(),
    action: r.action,
    trackId: BigInt(r.track_id),
    artist: r.artist.toLowerCase(),
    text: r.text,
    value: Number(r.value),
    at: Number(r.issued_at),
  }));
}

export async function readTrackCreators(db: Queryable, trackIds: readonly bigint[]): Promise<Map<bigint, string>> {
  if (trackIds.length === 0) return new Map();
  const { rows } = await db.query<{ track_id: string; creator: string }>(
    `SELECT track_id::text, creator FROM stats_track_creators WHERE track_id = ANY($1::bigint[])`,
    [trackIds.map(String)],
  );
  return new Map(rows.map((r) => [BigInt(r.track_id), r.creator]));
}

export async function saveTrackCreators(db: Queryable, creators: ReadonlyMap<bigint, string>): Promise<void> {
  if (creators.size === 0) return;
  await db.query(
    `INSERT INTO stats_track_creators (track_id, creator) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING`,
    [[...creators.keys()].map(String), [...creators.values()].map((creator) => creator.toLowerCase())],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The rollup's writes (one call per table per chunk, arrays as parameters)

export type ListenerEntry = { kind: ScopeKind; key: string; grain: SetGrain; bucket: number; listener: string };

/** Adds listeners to their sets; returns the entries that were new (a listener's first time in that set). */
export async function addListeners(db: Queryable, entries: readonly ListenerEntry[]): Promise<Omit<ListenerEntry, "listener">[]> {
  if (entries.length === 0) return [];
  const { rows } = await db.query<{ kind: ScopeKind; key: string; grain: SetGrain; bucket: string }>(
    `INSERT INTO stats_listeners (kind, key, grain, bucket, listener)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
     ON CONFLICT DO NOTHING RETURNING kind, key, grain, bucket::text`,
    [entries.map((e) => e.kind), entries.map((e) => e.key), entries.map((e) => e.grain), entries.map((e) => String(e.bucket)), entries.map((e) => e.listener)],
  );
  return rows.map((r) => ({ kind: r.kind, key: r.key, grain: r.grain, bucket: Number(r.bucket) }));
}

/** A listener's latest play in a scope during a chunk (hour bucket). */
export type RecencyEntry = { kind: ScopeKind; key: string; listener: string; hour: number };

/**
 * Moves each listener's latest play hour in the scope forward (its 'all' row, created on a first play) and keeps
 * stats_recency (listeners per hour and per day of their latest play) in step: a listener who played last in hour h
 * and now plays in h' > h leaves h's row (and h's day's, when the day changes) for h''s. Returns the entries that
 * were new: a listener's first play in the scope ever. One read and two writes per chunk.
 */
export async function touchRecency(db: Queryable, entries: readonly RecencyEntry[]): Promise<RecencyEntry[]> {
  if (entries.length === 0) return [];
  const { rows } = await db.query<{ kind: ScopeKind; key: string; listener: string; last_hour: string }>(
    `SELECT s.kind, s.key, s.listener, s.last_hour::text FROM unnest($1::char(1)[], $2::text[], $3::text[]) AS i(kind, key, listener)
       JOIN stats_listeners s ON s.kind = i.kind AND s.key = i.key AND s.grain = 'all' AND s.bucket = 0 AND s.listener = i.listener`,
    [entries.map((e) => e.kind), entries.map((e) => e.key), entries.map((e) => e.listener)],
  );
  const before = new Map(rows.map((r) => [`${r.kind}|${r.key}|${r.listener}`, Number(r.last_hour)]));
  const deltas = new Map<string, { kind: ScopeKind; key: string; grain: "hour" | "day"; bucket: number; by: number }>();
  const add = (kind: ScopeKind, key: string, grain: "hour" | "day", bucket: number, by: number) => {
    const id = `${kind}|${key}|${grain}|${bucket}`;
    const row = deltas.get(id) ?? { kind, key, grain, bucket, by: 0 };
    row.by += by;
    deltas.set(id, row);
  };
  const day = (hour: number) => hour - (hour % 86_400);
  const moved: RecencyEntry[] = [];
  const fresh: RecencyEntry[] = [];
  for (const entry of entries) {
    const last = before.get(`${entry.kind}|${entry.key}|${entry.listener}`);
    // A late play (older than the latest one already counted) changes nothing.
    if (last !== undefined && last >= entry.hour) continue;
    moved.push(entry);
    if (last === undefined) fresh.push(entry);
    else {
      add(entry.kind, entry.key, "hour", last, -1);
      add(entry.kind, entry.key, "day", day(last), -1);
    }
    add(entry.kind, entry.key, "hour", entry.hour, 1);
    add(entry.kind, entry.key, "day", day(entry.hour), 1);
  }
  if (moved.length === 0) return [];
  await db.query(
    `INSERT INTO stats_listeners (kind, key, grain, bucket, listener, last_hour)
     SELECT i.kind, i.key, 'all', 0, i.listener, i.hour FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS i(kind, key, listener, hour)
     ON CONFLICT (kind, key, grain, bucket, listener) DO UPDATE SET last_hour = greatest(stats_listeners.last_hour, EXCLUDED.last_hour)`,
    [moved.map((e) => e.kind), moved.map((e) => e.key), moved.map((e) => e.listener), moved.map((e) => String(e.hour))],
  );
  const changed = [...deltas.values()].filter((d) => d.by !== 0);
  if (changed.length > 0) {
    await db.query(
      `INSERT INTO stats_recency (kind, key, grain, bucket, listeners)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
       ON CONFLICT (kind, key, grain, bucket) DO UPDATE SET listeners = stats_recency.listeners + EXCLUDED.listeners`,
      [changed.map((d) => d.kind), changed.map((d) => d.key), changed.map((d) => d.grain), changed.map((d) => String(d.bucket)), changed.map((d) => String(d.by))],
    );
  }
  return fresh;
}

export type BucketDelta = { kind: ScopeKind; key: string; grain: BucketGrain; bucket: number } & Counters<BucketMetric>;
export type TotalDelta = { kind: ScopeKind; key: string; creator: string | null } & Counters<TotalMetric>;

const increments = (metrics: readonly string[], table: string) => metrics.map((m) => `${m} = ${table}.${m} + EXCLUDED.${m}`).join(", ");

export async function addBucketDeltas(db: Queryable, deltas: readonly BucketDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const casts = BUCKET_METRICS.map((_, index) => `$${index + 5}::bigint[]`).join(", ");
  await db.query(
    `INSERT INTO stats_buckets (kind, key, grain, bucket, ${BUCKET_METRICS.join(", ")})
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], ${casts})
     ON CONFLICT (kind, key, grain, bucket) DO UPDATE SET ${increments(BUCKET_METRICS, "stats_buckets")}`,
    [deltas.map((d) => d.kind), deltas.map((d) => d.key), deltas.map((d) => d.grain), deltas.map((d) => String(d.bucket)), ...BUCKET_METRICS.map((m) => deltas.map((d) => String(d[m])))],
  );
}

/** Adds to the scopes' totals and sets their `version` (it must grow from chunk to chunk: the caller passes the cursors' sum). */
export async function addTotalDeltas(db: Queryable, deltas: readonly TotalDelta[], version: bigint): Promise<void> {
  if (deltas.length === 0) return;
  const casts = TOTAL_METRICS.map((_, index) => `$${index + 4}::bigint[]`).join(", ");
  const versionParam = `$${TOTAL_METRICS.length + 4}::bigint`;
  await db.query(
    `INSERT INTO stats_totals (kind, key, creator, ${TOTAL_METRICS.join(", ")}, version)
     SELECT *, ${versionParam} FROM unnest($1::text[], $2::text[], $3::text[], ${casts})
     ON CONFLICT (kind, key) DO UPDATE SET creator = COALESCE(stats_totals.creator, EXCLUDED.creator), version = EXCLUDED.version,
       ${increments(TOTAL_METRICS, "stats_totals")}`,
    [deltas.map((d) => d.kind), deltas.map((d) => d.key), deltas.map((d) => d.creator), ...TOTAL_METRICS.map((m) => deltas.map((d) => String(d[m]))), version.toString()],
  );
}

export type SourceDelta = { kind: ScopeKind; key: string; source: string; completes: number; skips: number };

export async function addSourceDeltas(db: Queryable, deltas: readonly SourceDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await db.query(
    `INSERT INTO stats_sources (kind, key, source, completes, skips)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
     ON CONFLICT (kind, key, source) DO UPDATE SET ${increments(["completes", "skips"], "stats_sources")}`,
    [deltas.map((d) => d.kind), deltas.map((d) => d.key), deltas.map((d) => d.source), deltas.map((d) => String(d.completes)), deltas.map((d) => String(d.skips))],
  );
}

export type SourceBucketDelta = SourceDelta & { grain: "hour" | "day"; bucket: number };

export async function addSourceBucketDeltas(db: Queryable, deltas: readonly SourceBucketDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await db.query(
    `INSERT INTO stats_source_buckets (kind, key, grain, bucket, source, completes, skips)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[])
     ON CONFLICT (kind, key, grain, bucket, source) DO UPDATE SET ${increments(["completes", "skips"], "stats_source_buckets")}`,
    [
      deltas.map((d) => d.kind),
      deltas.map((d) => d.key),
      deltas.map((d) => d.grain),
      deltas.map((d) => String(d.bucket)),
      deltas.map((d) => d.source),
      deltas.map((d) => String(d.completes)),
      deltas.map((d) => String(d.skips)),
    ],
  );
}

export type FanDelta = { artist: string; fan: string; plays: number; actions: number };

export async function addFanDeltas(db: Queryable, deltas: readonly FanDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await db.query(
    `INSERT INTO stats_fans (artist, fan, plays, actions)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
     ON CONFLICT (artist, fan) DO UPDATE SET ${increments(["plays", "actions"], "stats_fans")}`,
    [deltas.map((d) => d.artist), deltas.map((d) => d.fan), deltas.map((d) => String(d.plays)), deltas.map((d) => String(d.actions))],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// What the analytics API reads

const numbers = <M extends string>(row: Record<string, unknown> | undefined, metrics: readonly M[]): Counters<M> =>
  Object.fromEntries(metrics.map((m) => [m, Number(row?.[m] ?? 0)])) as Counters<M>;

export type SourceRow = { source: string; completes: number; skips: number };

/**
 * A scope's all-time counters (zeros when it has none yet), a track's creator, and how its plays ended by source:
 * one statement (a primary-key row and the scope's few source rows), so a totals request is one round trip.
 */
export async function readScope(db: Queryable, kind: ScopeKind, key: string): Promise<{ creator: string | null; counters: Counters<TotalMetric>; sources: SourceRow[]; version: string }> {
  const { rows } = await db.query(
    `SELECT t.creator, t.version::text, ${TOTAL_METRICS.map((m) => `t.${m}::text`).join(", ")},
            (SELECT json_agg(json_build_array(s.source, s.completes, s.skips) ORDER BY s.completes + s.skips DESC, s.source)
               FROM stats_sources s WHERE s.kind = $1 AND s.key = $2) AS sources
       FROM (SELECT 1) one LEFT JOIN stats_totals t ON t.kind = $1 AND t.key = $2`,
    [kind, key],
  );
  const row = rows[0];
  const sources = parseJson<[string, number, number][]>(row?.sources) ?? [];
  return {
    creator: (row?.creator as string | null | undefined) ?? null,
    counters: numbers(row, TOTAL_METRICS),
    version: (row?.version as string | null | undefined) ?? "0",
    sources: sources.map(([source, completes, skips]) => ({ source, completes: Number(completes), skips: Number(skips) })),
  };
}

/** json columns: PGlite and pg parse them already; a string is parsed here. */
function parseJson<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

export type WindowQuery = {
  kind: ScopeKind;
  key: string;
  grain: BucketGrain;
  /** Where the buckets read start (the previous window's start, or the window's for `all`). */
  readFrom: number;
  from: number;
  /** The window's end; the window holds now (its distinct listeners are those whose latest play is since `from`). */
  to: number;
  /** The previous window's start; undefined for none. */
  previousFrom?: number | undefined;
};

export type WindowRows = {
  buckets: ({ bucket: number } & Counters<BucketMetric>)[];
  /** How plays ended over [from, to), by source. */
  sources: SourceRow[];
  /** Distinct listeners over [from, to) and over [previousFrom, from). */
  listeners: number;
  previousListeners: number;
  /** For week, month and year grains: distinct listeners per bucket, from the day sets. */
  bucketListeners?: Map<number, number>;
};

/**
 * Everything a series needs in one statement: the scope's buckets of `grain` in [readFrom, to) as compact arrays,
 * the distinct listeners over the window and over the previous one (from the hour sets for hours, the day sets
 * otherwise: weeks and longer are whole days), and for weeks and longer each bucket's distinct listeners.
 */
export async function readWindow(db: Queryable, { kind, key, grain, readFrom, from, to, previousFrom }: WindowQuery): Promise<WindowRows> {
  const setGrain = grain === "hour" ? "hour" : "day";
  const perBucket = grain === "week" || grain === "month" || grain === "year";
  const { rows } = await db.query(
    `SELECT
       (SELECT json_agg(json_build_array(b.bucket, ${BUCKET_METRICS.map((m) => `b.${m}`).join(", ")}) ORDER BY b.bucket)
          FROM stats_buckets b WHERE b.kind = $1 AND b.key = $2 AND b.grain = $3 AND b.bucket >= $4 AND b.bucket < $6) AS buckets,
       (SELECT COALESCE(sum(r.listeners), 0) FROM stats_recency r WHERE r.kind = $1 AND r.key = $2 AND r.grain = $7 AND r.bucket >= $5)::text AS listeners,
       ${
         previousFrom === undefined
           ? `'0'`
           : `(SELECT count(DISTINCT l.listener) FROM stats_listeners l
                WHERE l.kind = $1 AND l.key = $2 AND l.grain = $7 AND l.bucket >= $8 AND l.bucket < $5)::text`
       } AS previous_listeners,
       (SELECT json_agg(json_build_array(w.source, w.completes, w.skips) ORDER BY w.source) FROM (
          SELECT s.source, sum(s.completes) AS completes, sum(s.skips) AS skips FROM stats_source_buckets s
           WHERE s.kind = $1 AND s.key = $2 AND s.grain = $7 AND s.bucket >= $5 AND s.bucket < $6 GROUP BY s.source) w) AS sources,
       ${
         perBucket
           ? `(SELECT json_agg(json_build_array(w.bucket, w.n)) FROM (
                SELECT extract(epoch FROM date_trunc($3, to_timestamp(l.bucket) AT TIME ZONE 'UTC'))::bigint AS bucket, count(DISTINCT l.listener) AS n
                  FROM stats_listeners l WHERE l.kind = $1 AND l.key = $2 AND l.grain = 'day' AND l.bucket >= $4 AND l.bucket < $6 GROUP BY 1) w)`
           : "NULL"
       } AS bucket_listeners`,
    [kind, key, grain, readFrom, from, to, setGrain, ...(previousFrom === undefined ? [] : [previousFrom])],
  );
  const row = rows[0];
  const buckets = (parseJson<number[][]>(row?.buckets) ?? []).map(([bucket, ...values]) => ({
    bucket: Number(bucket),
    ...(Object.fromEntries(BUCKET_METRICS.map((m, index) => [m, Number(values[index])])) as Counters<BucketMetric>),
  }));
  const perBucketRows = parseJson<number[][]>(row?.bucket_listeners);
  const sources = parseJson<[string, number, number][]>(row?.sources) ?? [];
  return {
    buckets,
    sources: sources.map(([source, completes, skips]) => ({ source, completes: Number(completes), skips: Number(skips) })),
    listeners: Number(row?.listeners ?? 0),
    previousListeners: Number(row?.previous_listeners ?? 0),
    ...(perBucket ? { bucketListeners: new Map((perBucketRows ?? []).map(([bucket, n]) => [Number(bucket), Number(n)])) } : {}),
  };
}

/** The start of a scope's oldest bucket of `grain`; undefined when it has none. */
export async function firstBucket(db: Queryable, kind: ScopeKind, key: string, grain: string): Promise<number | undefined> {
  const { rows } = await db.query<{ bucket: string }>(
    `SELECT b.bucket::text FROM stats_buckets b WHERE b.kind = $1 AND b.key = $2 AND b.grain = $3 ORDER BY b.bucket LIMIT 1`,
    [kind, key, grain],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].bucket);
}

/**
 * Distinct listeners of a scope since `from` (a bucket start of `grain`, hour or day), up to now: the listeners
 * whose latest play is in a bucket at or after `from` (exact, from stats_recency: one row per bucket).
 */
export async function listenersSince(db: Queryable, kind: ScopeKind, key: string, grain: "hour" | "day", from: number): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT COALESCE(sum(listeners), 0)::text AS n FROM stats_recency WHERE kind = $1 AND key = $2 AND grain = $3 AND bucket >= $4`,
    [kind, key, grain, from],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Fresh planner statistics and visibility for the statistics tables. Without statistics PGlite's planner (it has no
 * autovacuum) read a scope's series through the ranking index (every scope's buckets of the window, filtered)
 * instead of the primary key: 5× slower at a year of data.
 */
export async function analyzeStats(db: Database): Promise<void> {
  // VACUUM marks the pages no one has changed since as all-visible, which is what lets the series read their index
  // alone (index-only scans). PGlite has no autovacuum; PostgreSQL's comes when it comes. It visits only the pages
  // changed since the last one, and on PostgreSQL blocks neither reads nor writes.
  await db.query(`VACUUM (ANALYZE) stats_buckets, stats_listeners, stats_recency, stats_totals, stats_fans, stats_sources, stats_source_buckets`);
}

export type Ranked = { key: string; creator: string | null; value: number };

const assertMetric = (metric: string): void => {
  // Metric names are interpolated into SQL: only the known column names pass.
  if (!(TOTAL_METRICS as readonly string[]).includes(metric)) throw new Error(`unknown metric ${metric}`);
};

/** Scopes of `kind` ranked by `metric` summed over the buckets of `grain` in [from, to); ties by key. */
export async function rankWindow(db: Queryable, { kind, metric, grain, from, to, limit, offset }: { kind: ScopeKind; metric: BucketMetric; grain: string; from: number; to: number; limit: number; offset: number }): Promise<Ranked[]> {
  assertMetric(metric);
  const { rows } = await db.query<{ key: string; creator: string | null; value: string }>(
    `SELECT b.key, t.creator, b.value::text AS value FROM (
        SELECT key, sum(${metric}) AS value FROM stats_buckets
         WHERE kind = $1 AND grain = $2 AND bucket >= $3 AND bucket < $4 GROUP BY key HAVING sum(${metric}) <> 0
      ) b LEFT JOIN stats_totals t ON t.kind = $1 AND t.key = b.key
      ORDER BY b.value DESC, b.key LIMIT $5 OFFSET $6`,
    [kind, grain, from, to, limit, offset],
  );
  return rows.map((r) => ({ key: r.key, creator: r.creator, value: Number(r.value) }));
}

/** Scopes of `kind` ranked by an all-time counter; ties by key. */
export async function rankAllTime(db: Queryable, { kind, metric, limit, offset, creator }: { kind: ScopeKind; metric: TotalMetric; limit: number; offset: number; creator?: string }): Promise<Ranked[]> {
  assertMetric(metric);
  const { rows } = await db.query<{ key: string; creator: string | null; value: string }>(
    `SELECT t.key, t.creator, t.${metric}::text AS value FROM stats_totals t
      WHERE t.kind = $1 AND t.${metric} <> 0 ${creator === undefined ? "" : "AND t.creator = $4"}
      ORDER BY t.${metric} DESC, t.key LIMIT $2 OFFSET $3`,
    creator === undefined ? [kind, limit, offset] : [kind, limit, offset, creator],
  );
  return rows.map((r) => ({ key: r.key, creator: r.creator, value: Number(r.value) }));
}

export type TrendingRow = { key: string; creator: string | null; current: number; previous: number; score: number };

/**
 * Tracks (or artists) by growth-weighted plays: score = (c − p) · ln(1 + c), c the plays in [from, to) and p those
 * in the previous window [previousFrom, from); only growing scopes (c > p) are listed. Ties by key.
 */
export async function trending(db: Queryable, { kind, grain, previousFrom, from, to, limit, offset }: { kind: ScopeKind; grain: string; previousFrom: number; from: number; to: number; limit: number; offset: number }): Promise<TrendingRow[]> {
  const { rows } = await db.query<{ key: string; creator: string | null; current: string; previous: string; score: string }>(
    `SELECT w.key, t.creator, w.current::text AS current, w.previous::text AS previous, w.score::text AS score FROM (
        SELECT key, c AS current, p AS previous, (c - p) * ln(1 + c) AS score FROM (
          SELECT key, sum(plays) FILTER (WHERE bucket >= $4) AS c, COALESCE(sum(plays) FILTER (WHERE bucket < $4), 0) AS p
            FROM stats_buckets WHERE kind = $1 AND grain = $2 AND bucket >= $3 AND bucket < $5 GROUP BY key
        ) s WHERE c > p
      ) w LEFT JOIN stats_totals t ON t.kind = $1 AND t.key = w.key
      ORDER BY w.score DESC, w.key LIMIT $6 OFFSET $7`,
    [kind, grain, previousFrom, from, to, limit, offset],
  );
  return rows.map((r) => ({ key: r.key, creator: r.creator, current: Number(r.current), previous: Number(r.previous), score: Number(r.score) }));
}

export async function topFans(db: Queryable, artist: string, limit: number): Promise<{ fan: string; plays: number; actions: number; score: number }[]> {
  const { rows } = await db.query<{ fan: string; plays: string; actions: string; score: string }>(
    `SELECT f.fan, f.plays::text, f.actions::text, f.score::text FROM stats_fans f WHERE f.artist = $1 AND f.score > 0 ORDER BY f.score DESC, f.fan LIMIT $2`,
    [artist, limit],
  );
  return rows.map((r) => ({ fan: r.fan, plays: Number(r.plays), actions: Number(r.actions), score: Number(r.score) }));
}
