import type { Address, Hex } from "viem";
import { closeSessions, insertSessions, storeVouchers, type NewSession, type VoucherWrite } from "../repo/sessions.js";
import type { LogLine } from "../log.js";
import type { Database } from "../repo/db/database.js";
import type { StreamVoucher } from "../crypto/eip712.js";
import { CLOSE_REASONS, type CloseReason, type ClosedFrame, type OpenedFrame } from "./frames.js";
import type { ListenerFundsCache } from "./funds.js";
import { createGroupCommit, type GroupCommit } from "./group-commit.js";
import type { SessionNumbers, StreamRules } from "./rules.js";

/** Where a session's frames go: a WebSocket, or nothing for a session driven over HTTP. */
export type SessionSink = {
  send(frame: string): void;
  close(code: number, reason: string): void;
};

/** One live session in this process: the numbers the rules decide on (rules.ts), and its connection and place. */
export type LiveSession = SessionNumbers & {
  artist: Address;
  trackId: bigint | null;
  sink: SessionSink | undefined;
  /** Opened over a socket (ends as `disconnected` rather than `silent` when the socket is gone). */
  socketed: boolean;
  slot: number;
  /** The session's vouchers are checked one after another. */
  queue: Promise<unknown>;
};

export const WHEEL_SLOTS = 50;
export const SLOT_MS = 1_000 / WHEEL_SLOTS;
/** Least time between two voucher statements under load (see createGroupCommit's minIntervalMs). */
const VOUCHER_STATEMENT_INTERVAL_MS = 10;

/**
 * The live sessions of one manager and the timer wheel they sit in: fifty slots of 20 ms, each session in the slot
 * of its opening, so the once-a-second work is spread over the second instead of one timer per session.
 */
export type LiveSessions = {
  get(sessionId: string): LiveSession | undefined;
  has(sessionId: string): boolean;
  size(): number;
  all(): LiveSession[];
  add(session: LiveSession): void;
  /** Takes a session out; forgets its listener's cached funds once no live session of theirs is left. */
  remove(session: LiveSession): void;
  /** The slot just processed: a session placed there gets its first tick a full second later. */
  lastSlot(): number;
  /** Moves the cursor one slot on and returns the sessions of the slot it left. */
  advance(): LiveSession[];
};

export function createLiveSessions(funds: Pick<ListenerFundsCache, "forget">): LiveSessions {
  const live = new Map<string, LiveSession>();
  const wheel: Set<LiveSession>[] = Array.from({ length: WHEEL_SLOTS }, () => new Set());
  const listenerSessions = new Map<string, number>();
  let cursor = 0;
  return {
    get: (sessionId) => live.get(sessionId),
    has: (sessionId) => live.has(sessionId),
    size: () => live.size,
    all: () => [...live.values()],
    add(session) {
      live.set(session.id, session);
      wheel[session.slot]?.add(session);
      listenerSessions.set(session.listener, (listenerSessions.get(session.listener) ?? 0) + 1);
    },
    remove(session) {
      live.delete(session.id);
      wheel[session.slot]?.delete(session);
      const left = (listenerSessions.get(session.listener) ?? 1) - 1;
      if (left <= 0) {
        listenerSessions.delete(session.listener);
        funds.forget(session.listener);
      } else listenerSessions.set(session.listener, left);
    },
    lastSlot: () => (cursor + WHEEL_SLOTS - 1) % WHEEL_SLOTS,
    advance() {
      const slot = wheel[cursor];
      cursor = (cursor + 1) % WHEEL_SLOTS;
      return slot === undefined ? [] : [...slot];
    },
  };
}

/** The session writes, each group-committed: many sessions' rows go out in one statement under load. */
export type SessionWrites = {
  vouchers: GroupCommit<VoucherWrite, boolean>;
  inserts: GroupCommit<NewSession, boolean>;
  closes: GroupCommit<{ sessionId: Hex; reason: string }, void>;
};

export function createSessionWrites(db: Database): SessionWrites {
  return {
    vouchers: createGroupCommit<VoucherWrite, boolean>({
      write: async (items) => {
        const stored = await storeVouchers(db, items);
        return items.map((item) => stored.has(item.sessionId));
      },
      // At 2,000 vouchers a second one pass of the event loop gathered about 8 per statement: 250 statements a
      // second, whose fixed cost kept the embedded store's thread a third busy. 10 ms apart, each carries ~20.
      minIntervalMs: VOUCHER_STATEMENT_INTERVAL_MS,
    }),
    inserts: createGroupCommit<NewSession, boolean>({
      write: async (items) => {
        const created = await insertSessions(db, items);
        return items.map((item) => created.has(item.sessionId));
      },
    }),
    closes: createGroupCommit<{ sessionId: Hex; reason: string }, void>({
      write: async (items) => {
        await closeSessions(db, items);
        return items.map(() => undefined);
      },
    }),
  };
}

/** What the open, voucher, tick and finish functions share: the manager's dependencies and its state. */
export type SessionContext = {
  db: Database;
  verifier: { verify(voucher: StreamVoucher, signature: Hex): boolean | Promise<boolean> };
  funds: ListenerFundsCache;
  rules: StreamRules;
  live: LiveSessions;
  writes: SessionWrites;
  onEnded: (sessionId: Hex, reason: CloseReason) => void;
  log: LogLine;
  now: () => number;
};

/** Sends one frame; a socket that fails to send is closing, and its close handler detaches it. */
export function sendFrame(session: LiveSession, frame: object): void {
  try {
    session.sink?.send(JSON.stringify(frame));
  } catch {
    // closing
  }
}

export function remainingOf(funds: Pick<ListenerFundsCache, "available">, listener: Address): string | null {
  return funds.available(listener)?.toString() ?? null;
}

/**
 * Ends a live session: out of the wheel, the `closed` frame and the socket close, then (unless `persist` is false, as
 * at shutdown, which leaves it resumable on the next start) its close stored; `onEnded` last. No-op when not live.
 */
export async function finishSession(ctx: SessionContext, session: LiveSession, reason: CloseReason, persist = true): Promise<void> {
  if (ctx.live.get(session.id) !== session) return;
  ctx.live.remove(session);
  const { code, message } = CLOSE_REASONS[reason];
  const frame: ClosedFrame = { type: "closed", reason, message, cumulativeAmount: session.acked.toString() };
  sendFrame(session, frame);
  try {
    session.sink?.close(code, reason);
  } catch {
    // already closed
  }
  session.sink = undefined;
  if (persist) {
    await ctx.writes.closes
      .submit({ sessionId: session.id, reason })
      .catch((error: unknown) => ctx.log(`closing session ${session.id} failed: ${String(error)}`, { level: "warn", sessionId: session.id, err: error }));
  }
  ctx.onEnded(session.id, reason);
}

export function openedFrame(session: LiveSession, resumed: boolean, { funds, rules }: Pick<SessionContext, "funds" | "rules">): OpenedFrame {
  return {
    type: "opened",
    sessionId: session.id,
    listener: session.listener,
    artist: session.artist,
    trackId: session.trackId?.toString() ?? null,
    ratePerSecond: session.rate.toString(),
    cumulativeAmount: session.acked.toString(),
    remaining: remainingOf(funds, session.listener),
    voucherIntervalSeconds: rules.voucherIntervalSeconds,
    graceSeconds: rules.graceSeconds,
    silenceSeconds: rules.silenceSeconds,
    minVoucherTtlSeconds: rules.minVoucherTtlSeconds,
    resumed,
  };
}
