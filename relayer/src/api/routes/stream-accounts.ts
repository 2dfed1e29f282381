import { createRoute, z } from "@hono/zod-openapi";
import type { Database } from "../../repo/db/database.js";
import { NotFoundError } from "../../errors.js";
import { addressSchema } from "../../stream/frames.js";
import type { StreamService } from "../../stream/service.js";
import { findSettlement, loadSettlement } from "../../repo/settlements.js";
import { artistTotals, listenerUnsettled } from "../../repo/sessions.js";
import { operatorAuth } from "../middleware.js";
import { createRouter, decimal, errors, json, operatorRouter, OPERATOR_SECURITY } from "../openapi.js";
import { idParam } from "./plays.js";

const addressParam = z.object({ address: addressSchema });

const balance = createRoute({
  method: "get",
  path: "/{address}/balance",
  summary: "A listener's vault balance (read from the chain now) minus the vouchers not yet settled",
  request: { params: addressParam },
  responses: {
    200: json(z.object({ listener: z.string(), balance: decimal, pendingWithdrawal: decimal, unsettled: decimal, available: decimal }).openapi("ListenerBalance"), "the balance"),
    ...errors(400, 503),
  },
});

/** `GET /v1/listeners/:address/balance`: the on-chain vault balance (read now), minus vouchers not yet settled. */
export function listenersRoutes({ db, stream }: { db: Database; stream: StreamService }) {
  return createRouter().openapi(balance, async (c) => {
    const { address } = c.req.valid("param");
    // Database first, chain second: a settlement between the two reads understates, never overstates.
    const unsettled = await listenerUnsettled(db, address);
    const { balance, pendingWithdrawal } = await stream.reader.funds(address);
    const available = balance - pendingWithdrawal - unsettled;
    return c.json(
      {
        listener: address,
        balance: balance.toString(),
        pendingWithdrawal: pendingWithdrawal.toString(),
        unsettled: unsettled.toString(),
        available: (available > 0n ? available : 0n).toString(),
      },
      200,
    );
  });
}

const earnings = createRoute({
  method: "get",
  path: "/{address}/earnings",
  summary: "An artist's settled and pending amounts on this relayer's sessions, and what the vault holds for them",
  request: { params: addressParam },
  responses: {
    200: json(z.object({ artist: z.string(), settled: decimal, pending: decimal, sessions: z.number().int(), withdrawable: decimal }).openapi("ArtistEarnings"), "the earnings"),
    ...errors(400, 503),
  },
});

/** `GET /v1/artists/:address/earnings`: settled and pending amounts of the sessions this relayer carries, and what the vault holds for the artist. */
export function artistsRoutes({ db, stream }: { db: Database; stream: StreamService }) {
  return createRouter().openapi(earnings, async (c) => {
    const { address } = c.req.valid("param");
    const [totals, withdrawable] = await Promise.all([artistTotals(db, address), stream.reader.earningsOf(address)]);
    return c.json(
      {
        artist: address,
        settled: totals.settled.toString(),
        pending: totals.pending.toString(),
        sessions: totals.sessions,
        withdrawable: withdrawable.toString(),
      },
      200,
    );
  });
}

const settlementVoucher = z.object({ sessionId: z.string(), cumulativeAmount: decimal, deadline: decimal }).catchall(z.unknown());

const settlement = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One settlement: status, vouchers, transaction and what it paid",
  request: { params: z.object({ id: idParam }) },
  responses: {
    200: json(
      z
        .object({
          id: decimal,
          status: z.string(),
          voucherCount: z.number().int(),
          paid: decimal.nullable(),
          txHash: z.string().nullable(),
          block: decimal.nullable(),
          gasUsed: decimal.nullable(),
          attempts: z.number().int(),
          lastError: z.string().nullable(),
          vouchers: z.array(settlementVoucher),
        })
        .openapi("Settlement"),
      "the settlement",
    ),
    ...errors(400, 404),
  },
});

/** `GET /v1/settlements/:id`: one settlement's status, vouchers, transaction and what it paid. */
export function settlementsRoutes({ db }: { db: Database }) {
  return createRouter().openapi(settlement, async (c) => {
    const { id } = c.req.valid("param");
    const found = await findSettlement(db, id);
    if (found === undefined) throw new NotFoundError(`settlement ${id}`);
    const { vouchers } = await loadSettlement(db, id);
    return c.json(
      {
        ...found,
        vouchers: vouchers.map((v) => ({ ...v, cumulativeAmount: v.cumulativeAmount.toString(), deadline: v.deadline.toString() })),
      },
      200,
    );
  });
}

const flush = createRoute({
  method: "post",
  path: "/flush",
  summary: "Settle every unsettled voucher now",
  security: OPERATOR_SECURITY,
  responses: {
    200: json(z.object({ leased: z.boolean(), settled: z.array(decimal), failed: z.array(decimal) }), "the settlements made and failed"),
    ...errors(401, 403),
  },
});

/** `POST /v1/admin/settlements/flush` (operator key): settle every unsettled voucher now. */
export function settlementAdminRoutes({ stream, operatorApiKey }: { stream: StreamService; operatorApiKey: string | undefined }) {
  const router = operatorRouter(createRouter());
  router.use(operatorAuth(operatorApiKey));
  return router.openapi(flush, async (c) => {
    const result = await stream.settlement.runCycle();
    return c.json({ leased: result.leased, settled: result.settled.map(String), failed: result.failed.map(String) }, 200);
  });
}
