import { Hono } from "hono";
import { and, gte, lte, sql } from "ponder";
import { db } from "ponder:api";
import { platform, platformHourly } from "ponder:schema";
import { z } from "zod";
import { cacheTtlFromEnv, responseCache } from "../cache.js";
import { toJson } from "../json.js";
import { at, nowSeconds, validate } from "../validation.js";
import { windowStart } from "../windows.js";

const statsQuery = z.object({ at });

/** Platform totals (running sums kept by the handlers) and the last 24 hours from at most 24 hourly rows. */
export const stats = new Hono().get("/", responseCache({ ttlMs: cacheTtlFromEnv() }), validate("query", statsQuery), async (c) => {
  const end = c.req.valid("query").at ?? nowSeconds();
  const [[totals], [last24h]] = await Promise.all([
    db.select().from(platform).limit(1),
    db
      .select({
        plays: sql<string | null>`sum(${platformHourly.plays})`,
        trades: sql<string | null>`sum(${platformHourly.trades})`,
        volumeUsdc: sql<string | null>`sum(${platformHourly.volumeUsdc})`,
      })
      .from(platformHourly)
      .where(and(gte(platformHourly.hour, windowStart(end, 24n)), lte(platformHourly.hour, end))),
  ]);
  const { id: _id, ...rest } = totals ?? { id: "global" };
  return c.json(
    toJson({
      ...rest,
      last24h: {
        plays: BigInt(last24h?.plays ?? 0),
        trades: BigInt(last24h?.trades ?? 0),
        volumeUsdc: BigInt(last24h?.volumeUsdc ?? 0),
      },
    }),
  );
});
