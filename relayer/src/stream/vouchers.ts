import { StreamError } from "./errors.js";
import type { AckFrame, VoucherFields } from "./frames.js";
import { finishSession, remainingOf, type LiveSession, type SessionContext } from "./live.js";
import { voucherRefusal } from "./rules.js";

/**
 * One voucher of a live session: the cheap checks first (rules.ts), then the signature (on the signature-check threads
 * when the server has them), then a funds reservation, then the group-committed write; the ack leaves only after the
 * write. Throws `StreamError` with the refusal's code; whatever was reserved is released again on the way out.
 */
export async function acceptVoucher(ctx: SessionContext, session: LiveSession, fields: VoucherFields): Promise<AckFrame> {
  const { live, funds, verifier, rules, writes } = ctx;
  if (live.get(session.id) !== session) throw new StreamError("session_closed", `session ${session.id} has ended`);
  const at = ctx.now();
  const { cumulativeAmount, deadline, signature } = fields;
  const refusal = voucherRefusal(session, fields, at, rules);
  if (refusal !== undefined) throw refusal;
  const voucher = { listener: session.listener, artist: session.artist, sessionId: session.id, cumulativeAmount, deadline };
  if (!(await verifier.verify(voucher, signature))) throw new StreamError("invalid_signature", "the signature is not the listener's signature of this voucher");
  const increase = cumulativeAmount - session.accepted;
  let reserved: boolean;
  try {
    reserved = await funds.reserve(session.listener, increase);
  } catch (error) {
    throw new StreamError("chain_unavailable", "the listener's vault balance cannot be read right now", { cause: error });
  }
  if (!reserved) {
    // Ended after the refusal has gone out, so the client reads the error frame before the closed frame.
    setImmediate(() => void finishSession(ctx, session, "insufficient_funds"));
    throw new StreamError("insufficient_funds", `the listener's vault balance does not cover ${increase} more`);
  }
  if (live.get(session.id) !== session) {
    funds.release(session.listener, increase);
    throw new StreamError("session_closed", `session ${session.id} has ended`);
  }
  const previous = session.accepted;
  session.accepted = cumulativeAmount;
  let stored: boolean;
  try {
    stored = await writes.vouchers.submit({ sessionId: session.id, cumulativeAmount, deadline, signature });
  } catch (error) {
    funds.release(session.listener, increase);
    if (session.accepted === cumulativeAmount) session.accepted = previous;
    throw new StreamError("storage_unavailable", "the voucher could not be stored; send it again", { cause: error });
  }
  if (!stored) {
    // The stored row already holds a larger voucher: another process took this session over.
    funds.release(session.listener, increase);
    throw new StreamError("voucher_decreasing", `the stored voucher of session ${session.id} is already larger`);
  }
  funds.stored(session.listener, increase);
  if (cumulativeAmount > session.acked) session.acked = cumulativeAmount;
  session.lastPaidAt = at;
  return { type: "ack", cumulativeAmount: cumulativeAmount.toString(), remaining: remainingOf(funds, session.listener) };
}
