import type { Address, Hex } from "viem";
import { StreamError } from "./errors.js";
import type { CloseReason, VoucherFields } from "./frames.js";

/**
 * The session manager's decisions, as pure functions of a session's numbers, the clock and the rules: what is due,
 * whether a voucher may be accepted, and what the once-a-second tick does. sessions.ts is the I/O around them
 * (sockets, the store, the funds cache, the timer wheel).
 */

export type StreamRules = {
  voucherIntervalSeconds: number;
  graceSeconds: number;
  silenceSeconds: number;
  minVoucherTtlSeconds: number;
  maxSessions: number;
};

/** What the decisions read of a live session. Amounts are bigint; times are ms of the manager's clock. */
export type SessionNumbers = {
  id: Hex;
  listener: Address;
  rate: bigint;
  /** The newest stored (acknowledged) cumulative amount. */
  acked: bigint;
  /** The highest cumulative amount accepted and on its way to storage (≥ acked). */
  accepted: bigint;
  /** Elapsed time is counted from (baseAt, baseAmount): the (re)open, so time spent disconnected is never billable. */
  baseAt: number;
  baseAmount: bigint;
  lastPaidAt: number;
};

/** The cumulative amount whole seconds since (baseAt, baseAmount) make due at `at`. */
export function dueAt(session: Pick<SessionNumbers, "baseAt" | "baseAmount" | "rate">, at: number): bigint {
  return session.baseAmount + BigInt(Math.floor((at - session.baseAt) / 1000)) * session.rate;
}

/**
 * The refusal of a voucher by the checks that need no signature, store or chain (replayed, decreasing, deadline too
 * soon, beyond what elapsed time and grace allow), or undefined when it may go on to the signature check.
 */
export function voucherRefusal(session: SessionNumbers, { cumulativeAmount, deadline }: Pick<VoucherFields, "cumulativeAmount" | "deadline">, at: number, rules: StreamRules): StreamError | undefined {
  if (cumulativeAmount === session.accepted) return new StreamError("voucher_replayed", `a voucher for ${cumulativeAmount} was already accepted`);
  if (cumulativeAmount < session.accepted) return new StreamError("voucher_decreasing", `cumulativeAmount ${cumulativeAmount} is below the accepted ${session.accepted}`);
  if (deadline < BigInt(Math.floor(at / 1000) + rules.minVoucherTtlSeconds)) {
    return new StreamError("deadline_too_soon", `deadline must be at least ${rules.minVoucherTtlSeconds} s ahead`);
  }
  const allowance = dueAt(session, at) + session.rate * BigInt(rules.graceSeconds);
  if (cumulativeAmount > allowance) {
    return new StreamError("voucher_exceeds_elapsed", `cumulativeAmount ${cumulativeAmount} exceeds the ${allowance} that elapsed time and grace allow`);
  }
  return undefined;
}

/** What one tick does to a session: end it (and why), or keep it, asking for a fresh funds figure when it looks short. */
export type TickVerdict = { end: CloseReason } | { end?: undefined; refreshFunds: boolean };

export type TickFunds = {
  /** The listener's spendable funds as cached, or undefined when not known. */
  available: bigint | undefined;
  /** Whether that figure is fresh enough to end a session on (asked only when the session looks short). */
  fresh: () => boolean;
};

/**
 * The tick's decision at `at`: silent past the silence timeout (`disconnected` when `detached`: its socket is gone), paying
 * too little for too long (`underpaid`), or owing more than the listener's funds cover on a fresh figure.
 */
export function tickVerdict(session: SessionNumbers, detached: boolean, at: number, rules: StreamRules, funds: TickFunds): TickVerdict {
  if (at - session.lastPaidAt > rules.silenceSeconds * 1000) return { end: detached ? "disconnected" : "silent" };
  const owed = dueAt(session, at) - session.acked;
  if (owed > session.rate * BigInt(rules.silenceSeconds)) return { end: "underpaid" };
  // What was heard is not covered any more. Decide on a fresh figure only: a deposit may have landed.
  if (funds.available !== undefined && owed > funds.available) return funds.fresh() ? { end: "insufficient_funds" } : { refreshFunds: true };
  return { refreshFunds: false };
}

/** The `tick` frame, built by hand: it goes to every session every second. */
export function tickFrame(session: SessionNumbers, at: number, available: bigint | undefined): string {
  return `{"type":"tick","elapsed":${Math.floor((at - session.baseAt) / 1000)},"due":"${dueAt(session, at)}","acked":"${session.acked}","remaining":${available === undefined ? "null" : `"${available}"`}}`;
}
