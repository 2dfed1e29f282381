/** The per-address views: a listener's vault account, an artist's earnings, a holder's revenue. */
import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq, gt } from "ponder";
import { db } from "ponder:api";
import { artist, coin, coinHolder, listener } from "ponder:schema";
import { z } from "zod";
import { claimableRevenue } from "../../../lib/math.js";
import { toJson } from "../json.js";
import { accumulatorAt, indexedTimestamp } from "../revenue.js";
import { addressCursor, addressParam, decodeCursor, encodeCursor, page } from "../validation.js";
import { answers, createRouter } from "../openapi.js";

/** Vault account of a listener; an address the vault never saw has all zeros, as on chain. */
export const listeners = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/{address}",
    summary: "A listener's vault account (all zeros for an address the vault never saw)",
    request: { params: addressParam },
    responses: answers("A listener's vault account (all zeros for an address the vault never saw)", 400),
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const [row] = await db.select().from(listener).where(eq(listener.address, address)).limit(1);
    return c.json(toJson(row ?? { address, balance: 0n, deposited: 0n, spent: 0n, withdrawn: 0n, pendingWithdrawal: 0n, withdrawalAvailableAt: 0n }), 200);
  },
);

/** What an artist earns: vault settlements, and as a coin's creator, its trading fees and vested coins. */
export const artists = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/{address}/earnings",
    summary: "What an artist earns: vault settlements, coin trading fees and vesting",
    request: { params: addressParam },
    responses: answers("What an artist earns: vault settlements, coin trading fees and vesting", 400),
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const [[vault], coinRows] = await Promise.all([
      db.select().from(artist).where(eq(artist.address, address)).limit(1),
      db.select().from(coin).where(eq(coin.creator, address)),
    ]);
    return c.json(
      toJson({
        address,
        vault: { balance: vault?.balance ?? 0n, earned: vault?.earned ?? 0n, withdrawn: vault?.withdrawn ?? 0n },
        coins: coinRows.map((row) => ({
          coin: row.address,
          symbol: row.symbol,
          creatorFeesAccrued: row.creatorFeesAccrued,
          creatorFeesClaimed: row.creatorFeesClaimed,
          creatorFeesUnclaimed: row.creatorFeesAccrued - row.creatorFeesClaimed,
          creatorAllocation: row.creatorAllocation,
          vestingReleased: row.vestingReleased,
        })),
      }),
      200,
    );
  },
);

const holderQuery = z.object({ ...page });

/** Revenue of one holder per coin (claimable as of the latest indexed block, claimed so far), coins by address. */
export const holders = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/{address}/earnings",
    summary: "A holder's revenue per coin: claimable now and claimed",
    request: { params: addressParam, query: holderQuery },
    responses: answers("A holder's revenue per coin: claimable now and claimed", 400),
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : decodeCursor(cursor, z.tuple([addressCursor]))[0];
    const [rows, revenueAt] = await Promise.all([
      db
        .select({
          holder: coinHolder,
          symbol: coin.symbol,
          revenue: {
            revenueAccumulator: coin.revenueAccumulator,
            eligibleUnits: coin.eligibleUnits,
            revenueUpdatedAt: coin.revenueUpdatedAt,
            lockedRevenue: coin.lockedRevenue,
          },
        })
        .from(coinHolder)
        .innerJoin(coin, eq(coin.address, coinHolder.coin))
        .where(and(eq(coinHolder.holder, address), after === undefined ? undefined : gt(coinHolder.coin, after)))
        .orderBy(asc(coinHolder.coin))
        .limit(limit + 1),
      indexedTimestamp(),
    ]);
    const items = rows.slice(0, limit).map(({ holder, symbol, revenue }) => {
      const claimable = claimableRevenue(holder, accumulatorAt(revenue, revenueAt));
      return { coin: holder.coin, symbol, balance: holder.balance, claimable, claimed: holder.claimed, earned: claimable + holder.claimed };
    });
    const last = items.at(-1);
    return c.json(toJson({ address, items, nextCursor: rows.length > limit && last ? encodeCursor([last.coin]) : null }), 200);
  },
);
