/** A creator's holder share of its streaming revenue and the quarterly distributions into its coin. */
import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "ponder";
import { db } from "ponder:api";
import { holderDistribution, holderShare } from "ponder:schema";
import { z } from "zod";
import { toJson } from "../json.js";
import { answers, createRouter } from "../openapi.js";
import { addressParam, decimalCursor, decodeCursor, encodeCursor, page } from "../validation.js";

const route = createRoute({
  method: "get",
  path: "/{address}/holder-revenue",
  summary: "A creator's holder share (in force and pending), holder revenue accrued and distributed, and its distributions, newest first",
  request: { params: addressParam, query: z.object(page) },
  responses: answers("the creator's holder share and distributions (zeros for a creator that never set a share)", 400),
});

export const holderRevenue = createRouter().openapi(route, async (c) => {
  const { address } = c.req.valid("param");
  const { limit, cursor } = c.req.valid("query");
  const before = cursor === undefined ? undefined : decodeCursor(cursor, z.tuple([decimalCursor]))[0];
  const [[share], rows] = await Promise.all([
    db.select().from(holderShare).where(eq(holderShare.creator, address)).limit(1),
    db
      .select()
      .from(holderDistribution)
      .where(before === undefined ? eq(holderDistribution.creator, address) : and(eq(holderDistribution.creator, address), lt(holderDistribution.period, before)))
      .orderBy(desc(holderDistribution.period))
      .limit(limit + 1),
  ]);
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return c.json(
    toJson({
      creator: address,
      share: share ?? { creator: address, bps: 0, nextBps: null, nextAt: null, accrued: 0n, accruedTotal: 0n, distributed: 0n, distributions: 0, lastPeriod: null },
      distributions: pageRows,
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor([last.period]) : null,
    }),
    200,
  );
});
