import { createRoute } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, lt } from "ponder";
import { db } from "ponder:api";
import { batchTrackDelta, playBatch } from "ponder:schema";
import { z } from "zod";
import { NotFoundError } from "../errors.js";
import { toJson } from "../json.js";
import { decimalCursor, decodeCursor, encodeCursor, page, uint } from "../validation.js";
import { answers, createRouter } from "../openapi.js";

const idParam = z.object({ id: uint });
const listQuery = z.object({ ...page });
const deltasQuery = z.object({ ...page, limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const batches = createRouter()
  /** Committed play batches, newest first. */
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Committed play batches, newest first",
      request: { query: listQuery },
      responses: answers("Committed play batches, newest first", 400),
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const before = cursor === undefined ? undefined : decodeCursor(cursor, z.tuple([decimalCursor]))[0];
      const rows = await db
        .select()
        .from(playBatch)
        .where(before === undefined ? undefined : lt(playBatch.id, before))
        .orderBy(desc(playBatch.id))
        .limit(limit + 1);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return c.json(toJson({ items, nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null }), 200);
    },
  )
  /** One batch with its per-track deltas in commit order (paginated: `limit`, `cursor`). */
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      summary: "One batch with its per-track deltas in commit order",
      request: { params: idParam, query: deltasQuery },
      responses: answers("One batch with its per-track deltas in commit order", 400, 404),
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const [row] = await db.select().from(playBatch).where(eq(playBatch.id, id)).limit(1);
      if (row === undefined) throw new NotFoundError("batch_not_found", `batch ${id} is not committed (or not indexed yet)`);
      const after = cursor === undefined ? undefined : Number(decodeCursor(cursor, z.tuple([decimalCursor]))[0]);
      const deltas = await db
        .select({ position: batchTrackDelta.position, trackId: batchTrackDelta.trackId, creator: batchTrackDelta.creator, plays: batchTrackDelta.plays })
        .from(batchTrackDelta)
        .where(and(eq(batchTrackDelta.batchId, id), after === undefined ? undefined : gt(batchTrackDelta.position, after)))
        .orderBy(asc(batchTrackDelta.position))
        .limit(limit + 1);
      const items = deltas.slice(0, limit);
      const last = items.at(-1);
      return c.json(toJson({ ...row, deltas: { items, nextCursor: deltas.length > limit && last ? encodeCursor([last.position]) : null } }), 200);
    },
  );
