import { createRoute, z } from "@hono/zod-openapi";
import type { Context, TypedResponse } from "hono";
import { artistExtras, createRangeStatsCache, createScopeTotalsReader, createStatsMemo, ranking, trendingOf, watchStats, type CachedRangeStats, type RangeStats } from "../../engagement/analytics.js";
import { StatsQueryError } from "../../engagement/stats-errors.js";
import { bucketStart, DEFAULT_INTERVAL, INTERVALS, RANGES, RANKING_GRAIN } from "../../engagement/windows.js";
import { InvalidRequestError, NotFoundError } from "../../errors.js";
import { BUCKET_METRICS, type Ranked, type TrendingRow } from "../../repo/stats.js";
import { addressSchema } from "../../stream/frames.js";
import type { AppDependencies } from "../context.js";
import { createRouter, errors, json, type ValidationHook } from "../openapi.js";
import { idParam } from "./plays.js";

/**
 * The analytics API (docs/engagement.md, "Statistics"): a track's and an artist's totals, and over a range a
 * zero-filled series, growth against the previous equal range and unique listeners; top lists and trending.
 * Everything reads the rollup's tables, so figures trail ingestion by one rollup cycle (a few seconds).
 */

/** A refused query parameter answers with its own code: range → invalid_range, interval → invalid_interval, metric → invalid_metric. */
const QUERY_CODES = { range: "invalid_range", interval: "invalid_interval", metric: "invalid_metric" } as const;

const statsHook: ValidationHook = (result) => {
  if (result.success) return undefined;
  const issues = result.error.issues;
  for (const issue of issues) {
    const field = String(issue.path[0]);
    if (result.target === "query" && field in QUERY_CODES) {
      throw new StatsQueryError(QUERY_CODES[field as keyof typeof QUERY_CODES], `${field}: ${issue.message}`);
    }
  }
  throw new InvalidRequestError(issues.map((issue) => `${issue.path.map(String).join(".") || result.target}: ${issue.message}`).join("; "));
};

const rangeParam = z.enum(RANGES).openapi({ description: "the window: the last 24 hours … 1 year, or all time", example: "7d" });
const intervalParam = z.enum(INTERVALS).openapi({ description: "bucket size of the series (default by range: 24h hour, 7d/30d day, 90d week, 1y/all month)" });
const seriesQuery = z.object({ range: rangeParam.optional(), interval: intervalParam.optional() });
const pageParam = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, "must be a non-negative integer")
    .transform(Number)
    .refine((value) => value <= max, `at most ${max}`)
    .optional()
    .transform((value) => value ?? fallback);
const limitParam = pageParam(100, 20).refine((value) => value >= 1, "at least 1");
const offsetParam = pageParam(10_000, 0);

const counts = Object.fromEntries(BUCKET_METRICS.map((m) => [m, z.number().int()])) as Record<(typeof BUCKET_METRICS)[number], z.ZodNumber>;
const rateFields = { completionRate: z.number().nullable(), skipRate: z.number().nullable() };
const totalsSchema = z
  .object({ ...counts, sharesByChannel: z.record(z.string(), z.number().int()), ...rateFields })
  .openapi("StatsTotals", { description: "all-time counters (O(1): one row); listeners = distinct listeners ever" });
const sourcesSchema = z.array(z.object({ source: z.string(), completes: z.number().int(), skips: z.number().int() })).openapi({ description: "how plays ended, by the source the client reported (all time)" });
const growthSchema = z.object({ previous: z.number().int(), absolute: z.number().int(), percent: z.number().nullable() });
const windowSchema = z
  .object({
    range: z.enum(RANGES),
    interval: z.enum(INTERVALS),
    from: z.number().int().openapi({ description: "window start, unix seconds (inclusive)" }),
    to: z.number().int().openapi({ description: "window end, unix seconds (exclusive)" }),
    series: z.array(z.object({ start: z.number().int(), ...counts })).openapi({ description: "one point per bucket, zero-filled; net changes within the bucket" }),
    totals: z.object({ ...counts, ...rateFields }).openapi({ description: "sums over the window; listeners = distinct listeners over the window" }),
    growth: z.record(z.string(), growthSchema).nullable().openapi({ description: "against the previous window of as many buckets (null for all); percent null when the previous is 0" }),
    sources: z.array(z.object({ source: z.string(), completes: z.number().int(), skips: z.number().int() })).openapi({ description: "how plays ended over the window, by the source the client reported" }),
  })
  .openapi("StatsWindow");

const trackStats = createRoute({
  method: "get",
  path: "/tracks/{trackId}",
  summary: "A track's statistics: totals and sources; with range, a series, growth and unique listeners over it",
  request: { params: z.object({ trackId: idParam }), query: seriesQuery },
  responses: {
    200: json(z.object({ trackId: z.string(), creator: z.string().nullable(), totals: totalsSchema, sources: sourcesSchema, window: windowSchema.optional() }).openapi("TrackStats"), "the statistics"),
    ...errors(400, 404),
  },
});

const artistStats = createRoute({
  method: "get",
  path: "/artists/{address}",
  summary: "An artist's statistics: totals across its tracks, followers, monthly listeners, top tracks and top fans; with range, a series",
  request: { params: z.object({ address: addressSchema }), query: seriesQuery },
  responses: {
    200: json(
      z
        .object({
          artist: z.string(),
          totals: totalsSchema,
          monthlyListeners: z.number().int().openapi({ description: "distinct listeners over the last 30 days" }),
          topTracks: z.array(z.object({ trackId: z.string(), plays: z.number().int() })),
          topFans: z.array(z.object({ fan: z.string(), plays: z.number().int(), actions: z.number().int(), score: z.number().int() })),
          sources: sourcesSchema,
          window: windowSchema.optional(),
        })
        .openapi("ArtistStats"),
      "the statistics",
    ),
    ...errors(400),
  },
});

const rankingQuery = <M extends readonly [string, ...string[]]>(metrics: M) =>
  z.object({
    metric: z.enum(metrics).optional().openapi({ description: "what to rank by (default plays)" }),
    range: rangeParam.optional().openapi({ description: "window (default 7d): whole buckets (24h hours, 7d/30d days, 90d weeks, 1y months) or all time" }),
    limit: limitParam.openapi({ type: "string", description: "1–100, default 20" }),
    offset: offsetParam.openapi({ type: "string", description: "0–10,000, default 0" }),
  });
const rankedSchema = (name: string, key: string) =>
  z.object({ metric: z.string(), range: z.enum(RANGES), offset: z.number().int(), limit: z.number().int(), nextOffset: z.number().int().nullable(), items: z.array(z.object({ [key]: z.string(), creator: z.string().nullable().optional(), value: z.number().int() })) }).openapi(name);

/** A track has no followers: every other bucket metric ranks tracks. */
const TRACK_METRICS = ["plays", "listeners", "likes", "saves", "shares", "downloads", "comments", "completes", "skips"] as const satisfies readonly (typeof BUCKET_METRICS)[number][];
const topTracks = createRoute({
  method: "get",
  path: "/top/tracks",
  summary: "Tracks ranked by a metric over a range (paginated)",
  request: { query: rankingQuery(TRACK_METRICS) },
  responses: { 200: json(rankedSchema("TopTracks", "trackId"), "the ranking"), ...errors(400) },
});
const topArtists = createRoute({
  method: "get",
  path: "/top/artists",
  summary: "Artists ranked by a metric over a range (paginated)",
  request: { query: rankingQuery(BUCKET_METRICS) },
  responses: { 200: json(rankedSchema("TopArtists", "artist"), "the ranking"), ...errors(400) },
});
const trendingRoute = createRoute({
  method: "get",
  path: "/trending",
  summary: "Tracks by growth-weighted plays: score = (c − p) · ln(1 + c), c this range's plays, p the previous range's",
  request: {
    query: z.object({
      range: rangeParam.optional().openapi({ description: "24h, 7d (default), 30d, 90d or 1y; not all" }),
      limit: limitParam.openapi({ type: "string" }),
      offset: offsetParam.openapi({ type: "string" }),
    }),
  },
  responses: {
    200: json(
      z
        .object({
          range: z.enum(RANGES),
          offset: z.number().int(),
          limit: z.number().int(),
          nextOffset: z.number().int().nullable(),
          items: z.array(z.object({ trackId: z.string(), creator: z.string().nullable(), plays: z.number().int(), previousPlays: z.number().int(), score: z.number() })),
        })
        .openapi("Trending"),
      "the ranking",
    ),
    ...errors(400),
  },
});

/**
 * The answer of a scope's stats: `head` with the range's figures as `window`, spliced in from the JSON the cache
 * keeps (serialising a year of daily points again for every request was most of the request's CPU).
 */
function withWindow<T extends object>(c: Context, head: T, window: CachedRangeStats | undefined) {
  const json = JSON.stringify(head);
  const body = window === undefined ? json : `${json.slice(0, -1)},"window":${window.json}}`;
  // The typed body the route declares (head + window), written as text.
  return c.body(body, 200, { "content-type": "application/json" }) as unknown as TypedResponse<T & { window?: RangeStats }, 200, "json">;
}

/** Mounted at /v1/stats. */
export function statsRoutes(deps: Pick<AppDependencies, "db" | "tracks" | "now">) {
  const { db } = deps;
  const cache = createRangeStatsCache();
  const watch = watchStats(db);
  const scopeTotals = createScopeTotalsReader(db, watch);
  // Rankings read every scope's buckets of the window: kept until the statistics change or the window moves on.
  const rankings = createStatsMemo<Ranked[]>(watch, { maxEntries: 1_000 });
  const trendings = createStatsMemo<TrendingRow[]>(watch, { maxEntries: 200 });
  const windowKey = (range: (typeof RANGES)[number]) => (range === "all" ? "all" : `${range}|${bucketStart(RANKING_GRAIN[range], deps.now())}`);
  type SeriesQuery = { range?: (typeof RANGES)[number] | undefined; interval?: (typeof INTERVALS)[number] | undefined };
  const checkQuery = (query: SeriesQuery) => {
    if (query.range === undefined && query.interval !== undefined) throw new StatsQueryError("invalid_range", "interval needs a range");
  };
  // The totals are read first: their version says whether a cached series of the scope is still current.
  const window = (kind: "t" | "a", key: string, version: string, query: SeriesQuery) =>
    query.range === undefined ? undefined : cache.get(db, kind, key, version, query.range, query.interval ?? DEFAULT_INTERVAL[query.range], deps.now());
  const page = <T>(items: T[], limit: number, offset: number) => ({ offset, limit, nextOffset: items.length === limit ? offset + limit : null });

  return createRouter(statsHook)
    .openapi(
      trackStats,
      async (c) => {
        const { trackId } = c.req.valid("param");
        const query = c.req.valid("query");
        if (!(await deps.tracks.minted([trackId])).has(trackId)) throw new NotFoundError(`track ${trackId}`);
        const key = trackId.toString();
        checkQuery(query);
        const { creator, totals, sources, version } = await scopeTotals("t", key);
        return withWindow(c, { trackId: key, creator, totals, sources }, await window("t", key, version, query));
      },
    )
    .openapi(
      artistStats,
      async (c) => {
        const { address } = c.req.valid("param");
        const query = c.req.valid("query");
        checkQuery(query);
        const [{ totals, sources, version }, extras] = await Promise.all([scopeTotals("a", address), artistExtras(db, address, deps.now())]);
        return withWindow(c, { artist: address, totals, ...extras, sources }, await window("a", address, version, query));
      },
    )
    .openapi(
      topTracks,
      async (c) => {
        const { metric = "plays", range = "7d", limit, offset } = c.req.valid("query");
        const items = await rankings(`t|${metric}|${windowKey(range)}|${limit}|${offset}`, () => ranking(db, { kind: "t", metric, range, limit, offset, now: deps.now() }));
        return c.json({ metric, range, ...page(items, limit, offset), items: items.map((item) => ({ trackId: item.key, creator: item.creator, value: item.value })) }, 200);
      },
    )
    .openapi(
      topArtists,
      async (c) => {
        const { metric = "plays", range = "7d", limit, offset } = c.req.valid("query");
        const items = await rankings(`a|${metric}|${windowKey(range)}|${limit}|${offset}`, () => ranking(db, { kind: "a", metric, range, limit, offset, now: deps.now() }));
        return c.json({ metric, range, ...page(items, limit, offset), items: items.map((item) => ({ artist: item.key, value: item.value })) }, 200);
      },
    )
    .openapi(
      trendingRoute,
      async (c) => {
        const { range = "7d", limit, offset } = c.req.valid("query");
        const items = await trendings(`${windowKey(range)}|${limit}|${offset}`, () => trendingOf(db, { kind: "t", range, limit, offset, now: deps.now() }));
        return c.json(
          { range, ...page(items, limit, offset), items: items.map((item) => ({ trackId: item.key, creator: item.creator, plays: item.current, previousPlays: item.previous, score: Math.round(item.score * 1000) / 1000 })) },
          200,
        );
      },
    );
}
