import type { MiddlewareHandler } from "hono";

export type ResponseCacheParameters = {
  /** How long an answer is served again, in ms; 0 turns the cache off. */
  ttlMs: number;
  /** Most answers kept; the oldest goes first beyond it. */
  maxEntries?: number;
};

/**
 * Serves the same answer to the same URL for `ttlMs`. The aggregate routes (/stats, /tracks/top windows) change
 * at most once per indexed block (a few times a second on a busy chain) while dashboards poll them hundreds of
 * times a second, so one query per URL per `ttlMs` serves them all; an answer is never older than `ttlMs`.
 * Only 200 answers are kept (errors are cheap and must not stick).
 */
export function responseCache({ ttlMs, maxEntries = 1_000 }: ResponseCacheParameters): MiddlewareHandler {
  const entries = new Map<string, { expires: number; body: string }>();
  return async (c, next) => {
    if (ttlMs <= 0) return next();
    const key = c.req.url;
    const now = Date.now();
    const hit = entries.get(key);
    if (hit !== undefined && hit.expires > now) {
      return c.body(hit.body, 200, { "content-type": "application/json", "x-cache": "hit" });
    }
    await next();
    if (c.res.status !== 200) return;
    const body = await c.res.clone().text();
    entries.delete(key);
    entries.set(key, { expires: now + ttlMs, body });
    // Map keeps insertion order: the first key is the oldest.
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  };
}

/** `INDEXER_API_CACHE_MS`, default 1000; a value that is not a non-negative integer is a configuration error. */
export function cacheTtlFromEnv(value = process.env.INDEXER_API_CACHE_MS): number {
  if (value === undefined || value === "") return 1_000;
  if (!/^\d+$/.test(value)) throw new Error(`INDEXER_API_CACHE_MS must be a non-negative integer (ms), got "${value}"`);
  return Number(value);
}
