import type { MiddlewareHandler } from "hono";

export type ResponseCacheParameters = {
  /** How long an answer is fresh, in ms; 0 turns the cache off. */
  ttlMs: number;
  /**
   * How long past `ttlMs` an answer may still be served while one request recomputes it (default 60 s). Beyond
   * that, requests wait for the recomputation.
   */
  staleMs?: number;
  /** Most answers kept; the oldest goes first beyond it. */
  maxEntries?: number;
};

type Entry = { body: string; expires: number; staleUntil: number };

/**
 * Serves the same answer to the same URL for `ttlMs`. The aggregate routes (/stats, /tracks/top windows) change
 * at most once per indexed block while dashboards poll them hundreds of times a second, so at most one query per
 * URL runs at a time:
 * - fresh answer: served from memory;
 * - stale answer (older than `ttlMs`): the first request recomputes it, every request meanwhile gets the stale
 *   answer at once (an answer is never older than `ttlMs` plus one recomputation);
 * - no answer yet: the first request computes it and concurrent requests for the URL wait for that one result
 *   instead of each running the same query (which is what made a cache miss under load take seconds).
 * Only 200 answers are kept (errors are cheap and must not stick); a failed computation lets waiting requests
 * compute their own answer.
 */
export function responseCache({ ttlMs, staleMs = 60_000, maxEntries = 1_000 }: ResponseCacheParameters): MiddlewareHandler {
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<string | undefined>>();
  const serve = (c: Parameters<MiddlewareHandler>[0], body: string, state: "hit" | "stale" | "shared") =>
    c.body(body, 200, { "content-type": "application/json", "x-cache": state });

  return async (c, next) => {
    if (ttlMs <= 0) return next();
    const key = c.req.url;
    const hit = entries.get(key);
    const now = Date.now();
    if (hit !== undefined && hit.expires > now) return serve(c, hit.body, "hit");
    const pending = inFlight.get(key);
    if (pending !== undefined) {
      if (hit !== undefined && hit.staleUntil > now) return serve(c, hit.body, "stale");
      const body = await pending;
      if (body !== undefined) return serve(c, body, "shared");
      return next();
    }

    let settle: (body: string | undefined) => void = () => {};
    inFlight.set(key, new Promise((done) => (settle = done)));
    let body: string | undefined;
    try {
      await next();
      if (c.res.status === 200) {
        body = await c.res.clone().text();
        const computedAt = Date.now();
        entries.delete(key);
        entries.set(key, { body, expires: computedAt + ttlMs, staleUntil: computedAt + ttlMs + staleMs });
        // Map keeps insertion order: the first key is the oldest.
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      }
    } finally {
      inFlight.delete(key);
      settle(body);
    }
  };
}

/** `INDEXER_API_CACHE_MS`, default 1000; a value that is not a non-negative integer is a configuration error. */
export function cacheTtlFromEnv(value = process.env.INDEXER_API_CACHE_MS): number {
  if (value === undefined || value === "") return 1_000;
  if (!/^\d+$/.test(value)) throw new Error(`INDEXER_API_CACHE_MS must be a non-negative integer (ms), got "${value}"`);
  return Number(value);
}
