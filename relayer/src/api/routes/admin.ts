import { createRoute, z } from "@hono/zod-openapi";
import { BatcherDisabledError } from "../../pipeline/errors.js";
import { BATCH_STATUSES, countBatchesByStatus, findBatch } from "../../repo/batches.js";
import { countPendingPlays } from "../../repo/plays.js";
import type { AppDependencies } from "../context.js";
import { operatorAuth } from "../middleware.js";
import { createRouter, decimal, errors, json, operatorRouter, OPERATOR_SECURITY } from "../openapi.js";
import { batchSummary } from "./batches.js";

const status = createRoute({
  method: "get",
  path: "/status",
  summary: "Batches per status and pending plays",
  security: OPERATOR_SECURITY,
  responses: {
    200: json(z.object({ batches: z.object(Object.fromEntries(BATCH_STATUSES.map((name) => [name, z.number().int()]))), pendingPlays: z.number().int() }), "the counts"),
    ...errors(401, 403),
  },
});

const flush = createRoute({
  method: "post",
  path: "/flush",
  summary: "Finish unfinished batches, then seal and commit the pending plays now",
  security: OPERATOR_SECURITY,
  responses: {
    200: json(
      z.object({
        sealed: decimal.nullable(),
        committed: z.array(decimal),
        milestones: z.number().int(),
        milestoneError: z.string().nullable(),
        batch: batchSummary.nullable(),
      }),
      "what the cycle did, and the batch it sealed or last committed",
    ),
    ...errors(401, 403, 409, 503),
  },
});

/** Operator endpoints under `/v1/admin`, all behind the operator key. */
export function adminRoutes(deps: AppDependencies) {
  const router = operatorRouter(createRouter());
  router.use(operatorAuth(deps.operatorApiKey));
  return router
    .openapi(status, async (c) => {
      const [batches, pendingPlays] = await Promise.all([countBatchesByStatus(deps.db), countPendingPlays(deps.db)]);
      return c.json({ batches, pendingPlays }, 200);
    })
    .openapi(flush, async (c) => {
      if (deps.batcher === undefined) throw new BatcherDisabledError();
      // Finishes what is unfinished, then seals and commits the pending plays now; a failure keeps every step recorded.
      const result = await deps.batcher.runCycle();
      const shown = result.sealed ?? result.committed.at(-1);
      return c.json(
        {
          sealed: result.sealed?.toString() ?? null,
          committed: result.committed.map(String),
          milestones: result.milestones,
          milestoneError: result.milestoneError ?? null,
          batch: shown === undefined ? null : ((await findBatch(deps.db, shown)) ?? null),
        },
        200,
      );
    });
}
