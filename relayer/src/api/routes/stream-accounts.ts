import { Hono } from "hono";
import { z } from "zod";
import type { Database } from "../../repo/db/database.js";
import { NotFoundError } from "../../errors.js";
import { addressSchema } from "../../stream/frames.js";
import type { StreamService } from "../../stream/service.js";
import { loadSettlement } from "../../stream/settle.js";
import { artistTotals, listenerUnsettled } from "../../repo/sessions.js";
import { operatorAuth } from "../middleware.js";
import { validate } from "../validation.js";
import { idParam } from "./plays.js";

/** `GET /v1/listeners/:address/balance`: the on-chain vault balance (read now), minus vouchers not yet settled. */
export function listenersRoutes({ db, stream }: { db: Database; stream: StreamService }) {
  return new Hono().get("/:address/balance", validate("param", z.object({ address: addressSchema })), async (c) => {
    const { address } = c.req.valid("param");
    // Database first, chain second: a settlement between the two reads understates, never overstates.
    const unsettled = await listenerUnsettled(db, address);
    const { balance, pendingWithdrawal } = await stream.reader.funds(address);
    const available = balance - pendingWithdrawal - unsettled;
    return c.json({
      listener: address,
      balance: balance.toString(),
      pendingWithdrawal: pendingWithdrawal.toString(),
      unsettled: unsettled.toString(),
      available: (available > 0n ? available : 0n).toString(),
    });
  });
}

/** `GET /v1/artists/:address/earnings`: settled and pending amounts of the sessions this relayer carries, and what the vault holds for the artist. */
export function artistsRoutes({ db, stream }: { db: Database; stream: StreamService }) {
  return new Hono().get("/:address/earnings", validate("param", z.object({ address: addressSchema })), async (c) => {
    const { address } = c.req.valid("param");
    const [totals, withdrawable] = await Promise.all([artistTotals(db, address), stream.reader.earningsOf(address)]);
    return c.json({
      artist: address,
      settled: totals.settled.toString(),
      pending: totals.pending.toString(),
      sessions: totals.sessions,
      withdrawable: withdrawable.toString(),
    });
  });
}

/** `GET /v1/settlements/:id`: one settlement's status, vouchers, transaction and what it paid. */
export function settlementsRoutes({ db }: { db: Database }) {
  return new Hono().get("/:id", validate("param", z.object({ id: idParam })), async (c) => {
    const { id } = c.req.valid("param");
    const { rows } = await db.query<Record<string, string | number | null>>(
      `SELECT id::text, status, voucher_count, paid::text, tx_hash, block_number::text, gas_used::text, attempts, last_error FROM stream_settlements WHERE id = $1`,
      [id.toString()],
    );
    const row = rows[0];
    if (row === undefined) throw new NotFoundError(`settlement ${id}`);
    const { vouchers } = await loadSettlement(db, id);
    return c.json({
      id: row.id,
      status: row.status,
      voucherCount: row.voucher_count,
      paid: row.paid,
      txHash: row.tx_hash,
      block: row.block_number,
      gasUsed: row.gas_used,
      attempts: row.attempts,
      lastError: row.last_error,
      vouchers: vouchers.map((v) => ({ ...v, cumulativeAmount: v.cumulativeAmount.toString(), deadline: v.deadline.toString() })),
    });
  });
}

/** `POST /v1/admin/settlements/flush` (operator key): settle every unsettled voucher now. */
export function settlementAdminRoutes({ stream, operatorApiKey }: { stream: StreamService; operatorApiKey: string | undefined }) {
  return new Hono().use(operatorAuth(operatorApiKey)).post("/flush", async (c) => {
    const result = await stream.settlement.runCycle();
    return c.json({ leased: result.leased, settled: result.settled.map(String), failed: result.failed.map(String) });
  });
}
