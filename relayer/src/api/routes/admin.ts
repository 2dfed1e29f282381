import { Hono } from "hono";
import { countBatchesByStatus, countPendingPlays } from "../../db/queries.js";
import type { AppDependencies } from "../context.js";
import { operatorAuth } from "../middleware.js";

/** Operator endpoints under `/v1/admin`, all behind the operator key. */
export function adminRoutes(deps: AppDependencies) {
  return new Hono().use(operatorAuth(deps.operatorApiKey)).get("/status", async (c) => {
    const [batches, pendingPlays] = await Promise.all([countBatchesByStatus(deps.db), countPendingPlays(deps.db)]);
    return c.json({ batches, pendingPlays });
  });
}
