import { Hono } from "hono";
import { z } from "zod";
import { findBatch, listBatches } from "../../repo/batch-views.js";
import { NotFoundError } from "../../errors.js";
import type { AppDependencies } from "../context.js";
import { validate } from "../validation.js";
import { idParam } from "./plays.js";

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: idParam.optional(),
});

/** `GET /v1/batches` (newest first, `?cursor=` from the previous page's `nextCursor`) and `GET /v1/batches/:id`. */
export function batchesRoutes(deps: AppDependencies) {
  return new Hono()
    .get("/", validate("query", listQuery), async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const batches = await listBatches(deps.db, { limit, before: cursor });
      const last = batches.at(-1);
      return c.json({ batches, nextCursor: batches.length === limit && last !== undefined ? last.id : null });
    })
    .get("/:id", validate("param", z.object({ id: idParam })), async (c) => {
      const { id } = c.req.valid("param");
      const batch = await findBatch(deps.db, id);
      if (batch === undefined) throw new NotFoundError(`batch ${id}`);
      return c.json(batch);
    });
}
