import type { Database, Queryable } from "../repo/db/database.js";
import {
  BUCKET_METRICS,
  listenersSince,
  firstBucket,
  rankAllTime,
  rankWindow,
  readScope,
  readWindow,
  SHARE_CHANNELS,
  topFans,
  trending,
  type BucketMetric,
  type Counters,
  type Ranked,
  type ScopeKind,
  type SourceRow,
  type TotalMetric,
  type TrendingRow,
} from "../repo/stats.js";
import { onRollupCommitted, parseScopesPayload, STATS_CHANNEL, type ChangedScopes } from "./rollup.js";
import { StatsQueryError } from "./stats-errors.js";
import { addBuckets, bucketStart, RANKING_GRAIN, windowOf, type Grain, type Range } from "./windows.js";

/**
 * What the analytics API answers, computed from the rollup's tables: all-time totals (one row), and over a range a
 * zero-filled series, the range's totals, growth against the previous equal range and exact unique listeners.
 */

export type Rates = { completionRate: number | null; skipRate: number | null };
export type Growth = { previous: number; absolute: number; percent: number | null };

export type ScopeTotals = Omit<Counters<BucketMetric>, never> & { sharesByChannel: Record<string, number> } & Rates;

export type SeriesPoint = { start: number } & Counters<BucketMetric>;

export type RangeStats = {
  range: Range;
  interval: Grain;
  /** Window bounds, unix seconds: `from` inclusive, `to` exclusive (whole buckets, the last one holding now). */
  from: number;
  to: number;
  series: SeriesPoint[];
  /** Sums over the window; `listeners` is the distinct listeners over the whole window (not a sum). */
  totals: Counters<BucketMetric> & Rates;
  /** Against the previous window of as many buckets; null for `all`. percent is null when the previous value is 0. */
  growth: Record<BucketMetric, Growth> | null;
  /** How plays ended over the window, by the source the client reported. */
  sources: SourceRow[];
};

const round2 = (value: number) => Math.round(value * 100) / 100;

export function rates(completes: number, skips: number): Rates {
  const ended = completes + skips;
  return ended === 0 ? { completionRate: null, skipRate: null } : { completionRate: round2(completes / ended), skipRate: round2(skips / ended) };
}

export function growthOf(current: number, previous: number): Growth {
  return { previous, absolute: current - previous, percent: previous === 0 ? null : round2(((current - previous) / Math.abs(previous)) * 100) };
}

/** A scope's all-time totals and sources: one statement. */
export async function scopeTotals(db: Queryable, kind: ScopeKind, key: string): Promise<{ creator: string | null; totals: ScopeTotals; sources: SourceRow[]; version: string }> {
  const { creator, counters, sources, version } = await readScope(db, kind, key);
  const core = Object.fromEntries(BUCKET_METRICS.map((m) => [m, counters[m]])) as Counters<BucketMetric>;
  const sharesByChannel = Object.fromEntries(SHARE_CHANNELS.map((channel) => [channel, counters[`shares_${channel}` as TotalMetric]]));
  return { creator, totals: { ...core, sharesByChannel, ...rates(counters.completes, counters.skips) }, sources, version };
}

/** A scope's series and range figures; throws `too_many_points` when the interval cuts the range into more than MAX_POINTS. */
export async function rangeStats(db: Queryable, kind: ScopeKind, key: string, range: Range, interval: Grain, now: number): Promise<RangeStats> {
  const first = range === "all" ? await firstBucket(db, kind, key, interval) : undefined;
  const window = windowOf(range, interval, now, first);
  if (window === undefined) throw new StatsQueryError("too_many_points", `interval ${interval} over range ${range} has too many points`);
  const from = window.previous?.from ?? window.from;
  const { buckets, sources, listeners, previousListeners, bucketListeners } = await readWindow(db, { kind, key, grain: interval, readFrom: from, from: window.from, to: window.to, previousFrom: window.previous?.from });
  const byStart = new Map(buckets.map((row) => [row.bucket, row]));
  const point = (start: number): SeriesPoint => {
    const row = byStart.get(start);
    const counters = Object.fromEntries(BUCKET_METRICS.map((m) => [m, row?.[m] ?? 0])) as Counters<BucketMetric>;
    if (bucketListeners !== undefined) counters.listeners = bucketListeners.get(start) ?? 0;
    return { start, ...counters };
  };
  const series = window.starts.map(point);
  const sum = (points: SeriesPoint[]) => Object.fromEntries(BUCKET_METRICS.map((m) => [m, points.reduce((total, p) => total + p[m], 0)])) as Counters<BucketMetric>;
  const totals = sum(series);
  totals.listeners = listeners;
  let growth: RangeStats["growth"] = null;
  if (window.previous !== undefined) {
    const previousStarts = window.starts.map((start) => addBuckets(interval, start, -window.points));
    const previous = sum(previousStarts.map(point));
    previous.listeners = previousListeners;
    growth = Object.fromEntries(BUCKET_METRICS.map((m) => [m, growthOf(totals[m], previous[m])])) as Record<BucketMetric, Growth>;
  }
  return { range, interval, from: window.from, to: window.to, series, totals: { ...totals, ...rates(totals.completes, totals.skips) }, growth, sources };
}

/** An artist's distinct listeners over the last 30 days (30 day buckets, today's included). */
export async function monthlyListeners(db: Queryable, artist: string, now: number): Promise<number> {
  return listenersSince(db, "a", artist, "day", addBuckets("day", bucketStart("day", now), -29));
}

export async function artistExtras(db: Queryable, artist: string, now: number) {
  const [monthly, tracks, fans] = await Promise.all([
    monthlyListeners(db, artist, now),
    rankAllTime(db, { kind: "t", metric: "plays", limit: 10, offset: 0, creator: artist }),
    topFans(db, artist, 10),
  ]);
  return { monthlyListeners: monthly, topTracks: tracks.map((t) => ({ trackId: t.key, plays: t.value })), topFans: fans };
}

export type RankParameters = { kind: ScopeKind; metric: BucketMetric; range: Range; limit: number; offset: number; now: number };

/** Scopes ranked by a metric over a range (whole buckets of the range's ranking grain) or all time. */
export async function ranking(db: Queryable, { kind, metric, range, limit, offset, now }: RankParameters): Promise<Ranked[]> {
  if (range === "all") return rankAllTime(db, { kind, metric, limit, offset });
  if (metric === "listeners") throw new StatsQueryError("invalid_metric", "listeners can be ranked over range=all only (distinct listeners do not add up across buckets)");
  const window = windowOf(range, RANKING_GRAIN[range], now)!;
  return rankWindow(db, { kind, metric, grain: window.grain, from: window.from, to: window.to, limit, offset });
}

/** Growth-weighted plays over a range against the previous equal range: score = (c − p) · ln(1 + c). */
export async function trendingOf(db: Queryable, { kind, range, limit, offset, now }: Omit<RankParameters, "metric">): Promise<TrendingRow[]> {
  if (range === "all") throw new StatsQueryError("invalid_range", "trending compares a range with the one before it: range=all has none");
  const window = windowOf(range, RANKING_GRAIN[range], now)!;
  return trending(db, { kind, grain: window.grain, previousFrom: window.previous!.from, from: window.from, to: window.to, limit, offset });
}

export type RangeStatsCache = {
  /**
   * `rangeStats` of a scope, computed at most once per (scope, range, interval, current bucket) and scope version: a
   * scope's series changes only when a rollup chunk touches it (which raises its version, read with its totals) or
   * when the current bucket moves on. Several processes on one PostgreSQL each keep their own and stay right: the
   * version is in the database.
   */
  get(db: Queryable, kind: ScopeKind, key: string, version: string, range: Range, interval: Grain, now: number): Promise<CachedRangeStats>;
};

/** A range's figures and their JSON, serialised once: a 1-year daily series is ≈ 50 kB, which each answer reuses. */
export type CachedRangeStats = { stats: RangeStats; json: string };

/** An LRU of at most `maxEntries` series (a 1-year daily one is ≈ 60 kB of objects plus its JSON). */
export function createRangeStatsCache({ maxEntries = 2000 }: { maxEntries?: number } = {}): RangeStatsCache {
  const entries = new Map<string, { version: string; value: Promise<CachedRangeStats> }>();
  return {
    get(db, kind, key, version, range, interval, now) {
      const id = `${kind}|${key}|${range}|${interval}|${bucketStart(interval, now)}`;
      const hit = entries.get(id);
      if (hit !== undefined && hit.version === version) {
        // Most recently used last.
        entries.delete(id);
        entries.set(id, hit);
        return hit.value;
      }
      const value = rangeStats(db, kind, key, range, interval, now).then((stats) => ({ stats, json: JSON.stringify(stats) }));
      entries.delete(id);
      entries.set(id, { version, value });
      // A failed computation is not kept.
      value.catch(() => entries.get(id)?.value === value && entries.delete(id));
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return value;
    },
  };
}

/**
 * When this process's memory of the statistics is stale. On PGlite only this process writes, and its rollup tells
 * the watch when it commits a chunk. On PostgreSQL every process's rollup runs `pg_notify(STATS_CHANNEL)` in the
 * chunk's transaction, which PostgreSQL delivers on commit: the watch is `trusted` only while this process is
 * listening, and while the LISTEN connection is down (it is opened again every `retryMs`) nothing kept may be used.
 */
export type StatsWatch = {
  /** Whether what was kept since the last change may be answered from. */
  readonly trusted: boolean;
  /** Grows with every change: a read that started under an older generation may be answered but not kept. */
  readonly generation: number;
  /** `scopes` are the `kind|key` of the scopes that changed; undefined when any may have. */
  onChange(listener: (scopes: ChangedScopes | undefined) => void): void;
};

export function watchStats(db: Database, { retryMs = 5_000 }: { retryMs?: number } = {}): StatsWatch {
  const listeners = new Set<(scopes: ChangedScopes | undefined) => void>();
  let generation = 0;
  let trusted = false;
  const changed = (scopes?: ChangedScopes) => {
    generation += 1;
    for (const listener of listeners) listener(scopes);
  };
  if (db.kind === "pglite") {
    onRollupCommitted(db, changed);
    trusted = true;
  } else if (db.listen !== undefined) {
    const listen = db.listen.bind(db);
    const retry = (error: Error) => {
      trusted = false;
      changed();
      if (error.name !== "DatabaseClosedError") setTimeout(subscribe, retryMs).unref();
    };
    const subscribe = () => {
      listen(STATS_CHANNEL, { notify: (payload) => changed(parseScopesPayload(payload)), lost: retry }).then(() => {
        // Anything kept before now may have missed a notification.
        changed();
        trusted = true;
      }, retry);
    };
    subscribe();
  }
  return {
    get trusted() {
      return trusted;
    },
    get generation() {
      return generation;
    },
    onChange: (listener) => void listeners.add(listener),
  };
}

/**
 * A memo of statistics answers, bypassed while `watch` is not trusted, at most `maxEntries` (oldest first out).
 * `get(id, compute)` answers the kept promise for `id` or computes and keeps it. With `perScope`, ids are scopes
 * (`kind|key`) and a change drops only the scopes it names; otherwise any change drops everything.
 */
export function createStatsMemo<T>(watch: StatsWatch, { maxEntries, perScope = false }: { maxEntries: number; perScope?: boolean }) {
  const entries = new Map<string, Promise<T>>();
  watch.onChange((scopes) => {
    if (!perScope || scopes === undefined) entries.clear();
    else for (const scope of scopes) entries.delete(scope);
  });
  return (id: string, compute: () => Promise<T>): Promise<T> => {
    if (!watch.trusted) return compute();
    let value = entries.get(id);
    if (value === undefined) {
      const started = watch.generation;
      value = compute();
      entries.set(id, value);
      const settled = value;
      const forget = () => entries.get(id) === settled && entries.delete(id);
      // A read that was under way when the statistics changed may have seen the rows before: it answers, but is not kept.
      value.then(() => watch.generation !== started && forget(), forget);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return value;
  };
}

export type ScopeTotalsReader = (kind: ScopeKind, key: string) => ReturnType<typeof scopeTotals>;

/** `scopeTotals` for the analytics routes, kept in memory (at most `maxEntries` scopes) until the statistics change (`watch`). */
export function createScopeTotalsReader(db: Database, watch: StatsWatch = watchStats(db), { maxEntries = 10_000 }: { maxEntries?: number } = {}): ScopeTotalsReader {
  const memo = createStatsMemo<Awaited<ReturnType<typeof scopeTotals>>>(watch, { maxEntries, perScope: true });
  return (kind, key) => memo(`${kind}|${key}`, () => scopeTotals(db, kind, key));
}
