import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../errors.js";
import { bytes32Schema, openSessionSchema, voucherFieldsSchema } from "../../stream/frames.js";
import type { StreamService } from "../../stream/service.js";
import { findSession } from "../../repo/sessions.js";
import type { Database } from "../../repo/db/database.js";
import { requireJson, validate } from "../validation.js";

const sessionParam = z.object({ id: bytes32Schema });

/**
 * `/v1/sessions`: a session's state, and the HTTP fallback for clients without a socket (open or resume, close).
 * An HTTP session has no tick frames; it ends like any other when its vouchers stop.
 */
export function sessionsRoutes({ db, stream }: { db: Database; stream: StreamService }) {
  return new Hono()
    .post("/", requireJson, validate("json", openSessionSchema), async (c) => {
      const opened = await stream.manager.open(c.req.valid("json"), undefined);
      return c.json(opened, 201);
    })
    .get("/:id", validate("param", sessionParam), async (c) => {
      const { id } = c.req.valid("param");
      const session = await findSession(db, id);
      if (session === undefined) throw new NotFoundError(`session ${id}`);
      const pending = BigInt(session.cumulativeAmount) - BigInt(session.settledAmount);
      return c.json({ ...session, pendingAmount: (pending > 0n ? pending : 0n).toString(), live: stream.manager.isLive(id) });
    })
    .post("/:id/close", validate("param", sessionParam), async (c) => {
      const { id } = c.req.valid("param");
      if (!stream.manager.isLive(id)) throw new NotFoundError(`live session ${id}`);
      await stream.manager.end(id, "client_closed");
      return c.json({ sessionId: id, status: "closed" });
    });
}

const voucherBody = voucherFieldsSchema.extend({ sessionId: bytes32Schema });

/** `POST /v1/vouchers`: one voucher of a live session, for clients without a socket; answered after it is stored. */
export function vouchersRoutes({ stream }: { stream: StreamService }) {
  return new Hono().post("/", requireJson, validate("json", voucherBody), async (c) => {
    const { sessionId, ...fields } = c.req.valid("json");
    const ack = await stream.manager.voucher(sessionId, fields);
    return c.json({ sessionId, ...ack });
  });
}
