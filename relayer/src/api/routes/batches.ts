import { createRoute, z } from "@hono/zod-openapi";
import { BATCH_STATUSES, findBatch, listBatches } from "../../repo/batches.js";
import { NotFoundError } from "../../errors.js";
import type { AppDependencies } from "../context.js";
import { createRouter, decimal, errors, json } from "../openapi.js";
import { idParam } from "./plays.js";

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: idParam.optional(),
});

/** A batch as the API answers it (`GET /v1/batches`, `/v1/batches/:id`, `POST /v1/admin/flush`). */
export const batchSummary = z
  .object({
    id: decimal,
    status: z.enum(BATCH_STATUSES),
    plays: z.number().int(),
    tracks: z.number().int(),
    root: z.string().nullable(),
    previousCid: z.string().nullable(),
    cid: z.string().nullable(),
    pieceCid: z.string().nullable(),
    txHash: z.string().nullable(),
    block: decimal.nullable(),
    sealedAt: z.string().nullable(),
    committedAt: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("Batch");

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Batches, newest first; pass the previous page's `nextCursor` as `cursor`",
  request: { query: listQuery },
  responses: { 200: json(z.object({ batches: z.array(batchSummary), nextCursor: decimal.nullable() }), "a page of batches"), ...errors(400) },
});

const one = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One batch",
  request: { params: z.object({ id: idParam }) },
  responses: { 200: json(batchSummary, "the batch"), ...errors(400, 404) },
});

/** `GET /v1/batches` (newest first, `?cursor=` from the previous page's `nextCursor`) and `GET /v1/batches/:id`. */
export function batchesRoutes(deps: AppDependencies) {
  return createRouter()
    .openapi(list, async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const batches = await listBatches(deps.db, { limit, before: cursor });
      const last = batches.at(-1);
      return c.json({ batches, nextCursor: batches.length === limit && last !== undefined ? last.id : null }, 200);
    })
    .openapi(one, async (c) => {
      const { id } = c.req.valid("param");
      const batch = await findBatch(deps.db, id);
      if (batch === undefined) throw new NotFoundError(`batch ${id}`);
      return c.json(batch, 200);
    });
}
