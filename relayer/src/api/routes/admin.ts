import { Hono } from "hono";
import { BatcherDisabledError } from "../../batcher/errors.js";
import { countBatchesByStatus, findBatch } from "../../repo/batch-views.js";
import { countPendingPlays } from "../../repo/plays.js";
import type { AppDependencies } from "../context.js";
import { operatorAuth } from "../middleware.js";

/** Operator endpoints under `/v1/admin`, all behind the operator key. */
export function adminRoutes(deps: AppDependencies) {
  return new Hono()
    .use(operatorAuth(deps.operatorApiKey))
    .get("/status", async (c) => {
      const [batches, pendingPlays] = await Promise.all([countBatchesByStatus(deps.db), countPendingPlays(deps.db)]);
      return c.json({ batches, pendingPlays });
    })
    .post("/flush", async (c) => {
      if (deps.batcher === undefined) throw new BatcherDisabledError();
      // Finishes what is unfinished, then seals and commits the pending plays now; a failure keeps every step recorded.
      const result = await deps.batcher.runCycle();
      const shown = result.sealed ?? result.committed.at(-1);
      return c.json({
        sealed: result.sealed?.toString() ?? null,
        committed: result.committed.map(String),
        milestones: result.milestones,
        milestoneError: result.milestoneError ?? null,
        batch: shown === undefined ? null : ((await findBatch(deps.db, shown)) ?? null),
      });
    });
}
