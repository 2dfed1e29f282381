import { createRoute, z } from "@hono/zod-openapi";
import { BATCH_STATUSES, findBatch, listBatches } from "../../repo/batches.js";
import { NotFoundError } from "../../errors.js";
import { StoreUnavailableError } from "../../stores/errors.js";
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

const snapshot = createRoute({
  method: "get",
  path: "/{id}/snapshot",
  summary: "The batch's stored snapshot, byte for byte (canonical JSON, README \"Batch evidence\"): anyone, a browser included, can rebuild its Merkle root and counts and compare them with the chain. `x-snapshot-cid` names its CID",
  request: { params: z.object({ id: idParam }) },
  responses: {
    200: json(
      z
        .object({
          version: z.number().int(),
          chainId: decimal,
          musicNFT: z.string(),
          batchId: decimal,
          previousCid: z.string().nullable(),
          root: z.string(),
          plays: z.array(z.object({ listener: z.string(), trackId: decimal, startedAt: decimal, durationSeconds: z.number().int(), nonce: z.string(), signature: z.string() })),
          deltas: z.array(z.object({ trackId: decimal, plays: decimal })),
          creators: z.array(z.object({ creator: z.string(), plays: decimal })),
        })
        .openapi("Snapshot"),
      "the snapshot's bytes as stored (their CID is the batch's)",
    ),
    ...errors(400, 404, 503),
  },
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
    })
    .openapi(snapshot, async (c) => {
      const { id } = c.req.valid("param");
      const batch = await findBatch(deps.db, id);
      if (batch === undefined) throw new NotFoundError(`batch ${id}`);
      if (batch.cid === null) throw new NotFoundError(`snapshot of batch ${id} (not stored yet: the batch is ${batch.status})`);
      if (deps.snapshots === undefined) throw new StoreUnavailableError("reading a snapshot", 0, "this relayer has no snapshot store");
      // The store re-hashes what it reads, so these are the bytes of the committed CID or an error.
      const bytes = await deps.snapshots.get(batch.cid);
      return c.body(new Uint8Array(bytes), 200, { "content-type": "application/json", "x-snapshot-cid": batch.cid }) as never;
    });
}
