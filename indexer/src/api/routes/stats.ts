import { createRoute } from "@hono/zod-openapi";
import { and, gte, lt, lte, sql, sum } from "ponder";
import { db } from "ponder:api";
import { candle, coin, platform, platformHourly } from "ponder:schema";
import { z } from "zod";
import { cacheTtlFromEnv, responseCache } from "../cache.js";
import { toJson } from "../json.js";
import { at, nowSeconds } from "../validation.js";
import { answers, createRouter } from "../openapi.js";
import { windowEnd, windowStart } from "../windows.js";

const statsQuery = z.object({ at });

/**
 * Platform totals and governance parameters (the platform row), market and revenue totals (the sums of the coin
 * rows' running totals: one row per coin, kept by the same events) and the last 24 hours (at most 24 hourly play
 * rows and each coin's minute candles of those hours).
 */
export const stats = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Platform totals, governance parameters, market and revenue totals, and the last 24 hours",
    middleware: [responseCache({ ttlMs: cacheTtlFromEnv() })] as const,
    request: { query: statsQuery },
    responses: answers("Platform totals, governance parameters, market and revenue totals, and the last 24 hours", 400),
  }),
  async (c) => {
    const end = c.req.valid("query").at ?? nowSeconds();
    const since = windowStart(end, 24n);
    const [[totals], [market], [plays24h], [trading24h]] = await Promise.all([
      db.select().from(platform).limit(1),
      db
        .select({
          trades: sum(coin.trades),
          volumeUsdc: sum(coin.volumeUsdc),
          feesTotal: sum(coin.feesTotal),
          // CurveMath.splitFee: the treasury's part of each fee is what the creator and the holders do not get.
          treasuryFeesAccrued: sql<string | null>`sum(${coin.feesTotal} - ${coin.creatorFeesAccrued} - ${coin.holderFeesAccrued})`,
          revenueDeposited: sum(coin.revenueDeposited),
          revenueClaimed: sum(coin.revenueClaimed),
        })
        .from(coin),
      db
        .select({ plays: sum(platformHourly.plays) })
        .from(platformHourly)
        .where(and(gte(platformHourly.hour, since), lte(platformHourly.hour, end))),
      db
        .select({ trades: sum(candle.trades), volumeUsdc: sum(candle.volumeUsdc) })
        .from(candle)
        .where(and(gte(candle.time, since), lt(candle.time, windowEnd(end)))),
    ]);
    const { id: _id, ...rest } = totals ?? { id: "global" };
    const big = (value: string | null | undefined) => BigInt(value ?? 0);
    return c.json(
      toJson({
        ...rest,
        trades: Number(big(market?.trades)),
        volumeUsdc: big(market?.volumeUsdc),
        feesTotal: big(market?.feesTotal),
        treasuryFeesAccrued: big(market?.treasuryFeesAccrued),
        revenueDeposited: big(market?.revenueDeposited),
        revenueClaimed: big(market?.revenueClaimed),
        last24h: {
          plays: big(plays24h?.plays),
          trades: big(trading24h?.trades),
          volumeUsdc: big(trading24h?.volumeUsdc),
        },
      }),
      200,
    );
  },
);
