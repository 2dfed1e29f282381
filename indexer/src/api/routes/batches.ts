import { createRoute } from "@hono/zod-openapi";
import { desc, eq, inArray, lt } from "ponder";
import { db } from "ponder:api";
import { playBatch, track } from "ponder:schema";
import { z } from "zod";
import { decodeDeltas } from "../../../lib/math.js";
import { NotFoundError } from "../errors.js";
import { toJson } from "../json.js";
import { decimalCursor, decodeCursor, encodeCursor, page, uint } from "../validation.js";
import { answers, createRouter } from "../openapi.js";

const idParam = z.object({ id: uint });
const listQuery = z.object({ ...page });
const deltasQuery = z.object({ ...page, limit: z.coerce.number().int().min(1).max(1000).default(100) });

// A batch as listed: its row without the packed entries (those are answered decoded, by `GET /batches/:id`).
const batchColumns = {
  id: playBatch.id,
  root: playBatch.root,
  snapshotCid: playBatch.snapshotCid,
  plays: playBatch.plays,
  tracks: playBatch.tracks,
  committer: playBatch.committer,
  blockNumber: playBatch.blockNumber,
  timestamp: playBatch.timestamp,
  txHash: playBatch.txHash,
};

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
        .select(batchColumns)
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
      const [found] = await db.select().from(playBatch).where(eq(playBatch.id, id)).limit(1);
      if (found === undefined) throw new NotFoundError("batch_not_found", `batch ${id} is not committed (or not indexed yet)`);
      const { deltas: packed, ...row } = found;
      const after = cursor === undefined ? undefined : Number(decodeCursor(cursor, z.tuple([decimalCursor]))[0]);
      const entries = decodeDeltas(packed).map((entry, position) => ({ position, ...entry }));
      const start = after === undefined ? 0 : after + 1;
      const page = entries.slice(start, start + limit + 1);
      const items = page.slice(0, limit);
      // A track's creator never changes (set at its mint): read for the page's tracks only.
      const trackIds = [...new Set(items.map((entry) => entry.trackId))];
      const creators = trackIds.length === 0 ? [] : await db.select({ id: track.id, creator: track.creator }).from(track).where(inArray(track.id, trackIds));
      const creatorOf = new Map(creators.map((entry) => [entry.id, entry.creator]));
      const answered = items.map(({ position, trackId, plays }) => ({ position, trackId, creator: creatorOf.get(trackId)!, plays }));
      const last = answered.at(-1);
      return c.json(toJson({ ...row, deltas: { items: answered, nextCursor: page.length > limit && last ? encodeCursor([last.position]) : null } }), 200);
    },
  );
