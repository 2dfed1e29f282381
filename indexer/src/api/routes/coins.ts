import { createRoute } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, gte, inArray, lt, or, sql } from "ponder";
import { db } from "ponder:api";
import { candle, coin, coinHolder } from "ponder:schema";
import { z } from "zod";
import { bucketStart, CANDLE_INTERVALS, claimableRevenue, type CandleInterval } from "../../../lib/math.js";
import { InvalidParameterError, NotFoundError } from "../errors.js";
import { toJson } from "../json.js";
import { accumulatorAt, coinAt, indexedTimestamp } from "../revenue.js";
import { address, addressCursor, at, decimalCursor, decodeCursor, encodeCursor, nowSeconds, page, uint } from "../validation.js";
import { answers, createRouter } from "../openapi.js";
import { windowEnd, windowStart } from "../windows.js";

const listQuery = z.object({ ...page, at });
const coinQuery = z.object({ at });
const coinParam = z.object({ address });
const candlesQuery = z.object({
  ...page,
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  interval: z.enum(["1m", "1h", "1d"]),
  from: uint.optional(),
  to: uint.optional(),
});
const holdersQuery = z.object({ ...page });

type CoinRow = typeof coin.$inferSelect;

/** USDC traded per coin in the 24 hours ending at `end` (the minutes of the current hour and the 23 before). */
async function volume24h(coins: `0x${string}`[], end: bigint): Promise<Map<string, bigint>> {
  if (coins.length === 0) return new Map();
  const rows = await db
    .select({ coin: candle.coin, volume: sql<string>`sum(${candle.volumeUsdc})` })
    .from(candle)
    .where(and(inArray(candle.coin, coins), gte(candle.time, windowStart(end, 24n)), lt(candle.time, windowEnd(end))))
    .groupBy(candle.coin);
  return new Map(rows.map((row) => [row.coin, BigInt(row.volume)]));
}

/** A coin as answered: its revenue as of `revenueAt` (the latest indexed block's time), its 24 h volume. */
function coinAnswer(row: CoinRow, revenueAt: bigint, volumes: Map<string, bigint>) {
  return { ...coinAt(row, revenueAt), volume24hUsdc: volumes.get(row.address) ?? 0n };
}

type CandlesParameters = { coin: `0x${string}`; interval: CandleInterval; from?: bigint; to?: bigint; after?: bigint; limit: number };

/**
 * Candles of one interval whose start is in [from, to] and after `after`, oldest first: the stored minutes added up
 * per bucket (open of the first minute, close of the last). The bounds on the bucket start are turned into bounds
 * on the minutes so the primary key's order serves the scan.
 */
async function candles({ coin: coinAddress, interval, from, to, after, limit }: CandlesParameters) {
  const seconds = CANDLE_INTERVALS[interval];
  const ceil = (time: bigint) => bucketStart(time + seconds - 1n, seconds);
  const range = and(
    eq(candle.coin, coinAddress),
    from === undefined ? undefined : gte(candle.time, ceil(from)),
    to === undefined ? undefined : lt(candle.time, bucketStart(to, seconds) + seconds),
    after === undefined ? undefined : gte(candle.time, bucketStart(after, seconds) + seconds),
  );
  if (interval === "1m") {
    const rows = await db.select().from(candle).where(range).orderBy(asc(candle.time)).limit(limit);
    return rows.map(({ coin: rowCoin, time, ...ohlcv }) => ({ coin: rowCoin, interval, time, ...ohlcv }));
  }
  // The bucket is written as a literal (not a parameter) so GROUP BY and ORDER BY see the select's expression.
  const bucket = sql<string>`(${candle.time} - mod(${candle.time}, ${sql.raw(seconds.toString())}))`;
  const rows = await db
    .select({
      time: bucket,
      open: sql<string>`(array_agg(${candle.open} order by ${candle.time}))[1]`,
      high: sql<string>`max(${candle.high})`,
      low: sql<string>`min(${candle.low})`,
      close: sql<string>`(array_agg(${candle.close} order by ${candle.time} desc))[1]`,
      volumeUsdc: sql<string>`sum(${candle.volumeUsdc})`,
      volumeCoin: sql<string>`sum(${candle.volumeCoin})`,
      trades: sql<string>`sum(${candle.trades})`,
    })
    .from(candle)
    .where(range)
    .groupBy(bucket)
    .orderBy(asc(bucket))
    .limit(limit);
  return rows.map((row) => ({
    coin: coinAddress,
    interval,
    time: BigInt(row.time),
    open: BigInt(row.open),
    high: BigInt(row.high),
    low: BigInt(row.low),
    close: BigInt(row.close),
    volumeUsdc: BigInt(row.volumeUsdc),
    volumeCoin: BigInt(row.volumeCoin),
    trades: Number(row.trades),
  }));
}

async function findCoin(address: `0x${string}`): Promise<CoinRow> {
  const [row] = await db.select().from(coin).where(eq(coin.address, address)).limit(1);
  if (row === undefined) throw new NotFoundError("coin_not_found", `${address} is not a launched creator coin (or not indexed yet)`);
  return row;
}

export const coins = createRouter()
  /** Coins by market capitalisation, largest first (ties by address). */
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Coins by market capitalisation, largest first",
      request: { query: listQuery },
      responses: answers("Coins by market capitalisation, largest first", 400),
    }),
    async (c) => {
      const { limit, cursor, at: atParam } = c.req.valid("query");
      const after = cursor === undefined ? undefined : decodeCursor(cursor, z.tuple([decimalCursor, addressCursor]));
      const rows = await db
        .select()
        .from(coin)
        .where(after === undefined ? undefined : or(lt(coin.marketCap, after[0]), and(eq(coin.marketCap, after[0]), gt(coin.address, after[1]))))
        .orderBy(desc(coin.marketCap), asc(coin.address))
        .limit(limit + 1);
      const pageRows = rows.slice(0, limit);
      const [volumes, revenueAt] = await Promise.all([
        volume24h(
          pageRows.map((row) => row.address),
          atParam ?? nowSeconds(),
        ),
        indexedTimestamp(),
      ]);
      const last = pageRows.at(-1);
      return c.json(
        toJson({
          items: pageRows.map((row) => coinAnswer(row, revenueAt, volumes)),
          nextCursor: rows.length > limit && last ? encodeCursor([last.marketCap, last.address]) : null,
        }),
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{address}",
      summary: "One coin: price, supply, fees, revenue and 24 h volume",
      request: { params: coinParam, query: coinQuery },
      responses: answers("One coin: price, supply, fees, revenue and 24 h volume", 400, 404),
    }),
    async (c) => {
      const { address: coinAddress } = c.req.valid("param");
      const [row, revenueAt] = await Promise.all([findCoin(coinAddress), indexedTimestamp()]);
      const volumes = await volume24h([row.address], c.req.valid("query").at ?? nowSeconds());
      return c.json(toJson(coinAnswer(row, revenueAt, volumes)), 200);
    },
  )
  /** OHLCV candles of one interval, oldest first, with `time` (bucket start, unix seconds) in [from, to]. */
  .openapi(
    createRoute({
      method: "get",
      path: "/{address}/candles",
      summary: "OHLCV candles of one interval, oldest first",
      request: { params: coinParam, query: candlesQuery },
      responses: answers("OHLCV candles of one interval, oldest first", 400, 404),
    }),
    async (c) => {
      const { address: coinAddress } = c.req.valid("param");
      const { interval, from, to, limit, cursor } = c.req.valid("query");
      if (from !== undefined && to !== undefined && from > to) throw new InvalidParameterError("from: must not be after to");
      await findCoin(coinAddress);
      const after = cursor === undefined ? undefined : decodeCursor(cursor, z.tuple([decimalCursor]))[0];
      const rows = await candles({ coin: coinAddress, interval, from, to, after, limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return c.json(
        toJson({ interval, seconds: CANDLE_INTERVALS[interval], items, nextCursor: rows.length > limit && last ? encodeCursor([last.time]) : null }),
        200,
      );
    },
  )
  /** Holders with a positive balance, largest first, with the revenue each may claim as of the latest indexed block. */
  .openapi(
    createRoute({
      method: "get",
      path: "/{address}/holders",
      summary: "Holders by balance, largest first, with their claimable revenue",
      request: { params: coinParam, query: holdersQuery },
      responses: answers("Holders by balance, largest first, with their claimable revenue", 400, 404),
    }),
    async (c) => {
      const { address: coinAddress } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const [coinRow, revenueAt] = await Promise.all([findCoin(coinAddress), indexedTimestamp()]);
      const accumulator = accumulatorAt(coinRow, revenueAt);
      const after = cursor === undefined ? undefined : decodeCursor(cursor, z.tuple([decimalCursor, addressCursor]));
      const rows = await db
        .select()
        .from(coinHolder)
        .where(
          and(
            eq(coinHolder.coin, coinAddress),
            gt(coinHolder.balance, 0n),
            after === undefined ? undefined : or(lt(coinHolder.balance, after[0]), and(eq(coinHolder.balance, after[0]), gt(coinHolder.holder, after[1]))),
          ),
        )
        .orderBy(desc(coinHolder.balance), asc(coinHolder.holder))
        .limit(limit + 1);
      const items = rows.slice(0, limit).map((row) => ({
        holder: row.holder,
        balance: row.balance,
        excluded: row.excluded,
        claimableRevenue: claimableRevenue(row, accumulator),
        claimedRevenue: row.claimed,
      }));
      const last = items.at(-1);
      return c.json(
        toJson({ holders: coinRow.holders, items, nextCursor: rows.length > limit && last ? encodeCursor([last.balance, last.holder]) : null }),
        200,
      );
    },
  );
