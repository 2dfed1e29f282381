import { createRoute, z } from "@hono/zod-openapi";
import { NotFoundError } from "../../errors.js";
import { bytes32Schema, openSessionSchema, voucherFieldsSchema } from "../../stream/frames.js";
import type { StreamService } from "../../stream/service.js";
import { findSession } from "../../stream/store.js";
import type { Database } from "../../db/database.js";
import { createRouter, decimal, errors, json, jsonBody } from "../openapi.js";
import { requireJson, validate } from "../validation.js";

const sessionParam = z.object({ id: bytes32Schema });
const hex = z.string().regex(/^0x[0-9a-f]*$/);

const opened = z
  .object({
    type: z.literal("opened"),
    sessionId: hex,
    listener: hex,
    artist: hex,
    trackId: decimal.nullable(),
    ratePerSecond: decimal,
    cumulativeAmount: decimal,
    remaining: decimal.nullable(),
    voucherIntervalSeconds: z.number(),
    graceSeconds: z.number(),
    silenceSeconds: z.number(),
    minVoucherTtlSeconds: z.number(),
    resumed: z.boolean(),
  })
  .openapi("OpenedSession");

const session = z
  .object({
    sessionId: hex,
    listener: hex,
    artist: hex,
    trackId: decimal.nullable(),
    ratePerSecond: decimal,
    status: z.enum(["open", "closed"]),
    closeReason: z.string().nullable(),
    cumulativeAmount: decimal,
    deadline: decimal.nullable(),
    signature: hex.nullable(),
    settledAmount: decimal,
    settlingId: decimal.nullable(),
    openedAt: z.string(),
    lastVoucherAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    pendingAmount: decimal,
    live: z.boolean(),
  })
  .openapi("Session");

const getSession = createRoute({
  method: "get",
  path: "/{id}",
  summary: "A session's state: amounts acknowledged, settled and pending, and whether this relayer holds it live",
  request: { params: sessionParam },
  responses: { 200: json(session, "the session"), ...errors(400, 404) },
});

const closeSession = createRoute({
  method: "post",
  path: "/{id}/close",
  summary: "End a live session (HTTP fallback of the `close` frame)",
  request: { params: sessionParam },
  responses: { 200: json(z.object({ sessionId: hex, status: z.literal("closed") }), "closed"), ...errors(400, 404) },
});

/**
 * `/v1/sessions`: a session's state, and the HTTP fallback for clients without a socket (open or resume, close).
 * An HTTP session has no tick frames; it ends like any other when its vouchers stop.
 */
export function sessionsRoutes({ db, stream }: { db: Database; stream: StreamService }) {
  const router = createRouter();
  // The body is checked by the middleware below (see jsonBody), so the route is registered for the document only.
  router.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/",
      summary: "Open (or resume) a session without a socket (HTTP fallback of the `open` frame)",
      request: { body: jsonBody(openSessionSchema, "the listener, whom it pays (artist or trackId), the rate") },
      responses: { 201: json(opened, "the session as the `opened` frame describes it"), ...errors(400, 409, 503) },
    }),
  );
  return router
    .openapi(getSession, async (c) => {
      const { id } = c.req.valid("param");
      const found = await findSession(db, id);
      if (found === undefined) throw new NotFoundError(`session ${id}`);
      const pending = BigInt(found.cumulativeAmount) - BigInt(found.settledAmount);
      return c.json({ ...found, pendingAmount: (pending > 0n ? pending : 0n).toString(), live: stream.manager.isLive(id) }, 200);
    })
    .openapi(closeSession, async (c) => {
      const { id } = c.req.valid("param");
      if (!stream.manager.isLive(id)) throw new NotFoundError(`live session ${id}`);
      await stream.manager.end(id, "client_closed");
      return c.json({ sessionId: id, status: "closed" as const }, 200);
    })
    .post("/", requireJson, validate("json", openSessionSchema), async (c) => {
      const answer = await stream.manager.open(c.req.valid("json"), undefined);
      return c.json(answer, 201);
    });
}

const voucherBody = voucherFieldsSchema.extend({ sessionId: bytes32Schema });

/** `POST /v1/vouchers`: one voucher of a live session, for clients without a socket; answered after it is stored. */
export function vouchersRoutes({ stream }: { stream: StreamService }) {
  const router = createRouter();
  router.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/",
      summary: "One voucher of a live session (HTTP fallback of the `voucher` frame); answered once it is stored",
      request: { body: jsonBody(voucherBody, "the session, the new cumulative amount, its deadline and EIP-712 signature") },
      responses: {
        200: json(z.object({ sessionId: hex, type: z.literal("ack"), cumulativeAmount: decimal, remaining: decimal.nullable() }), "acknowledged"),
        ...errors(400, 404, 409),
      },
    }),
  );
  return router.post("/", requireJson, validate("json", voucherBody), async (c) => {
    const { sessionId, ...fields } = c.req.valid("json");
    const ack = await stream.manager.voucher(sessionId, fields);
    return c.json({ sessionId, ...ack });
  });
}
