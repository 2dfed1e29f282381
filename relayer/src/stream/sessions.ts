import type { Address, Hex } from "viem";
import type { StreamVoucher } from "../crypto/eip712.js";
import type { LogLine } from "../log.js";
import type { Database } from "../repo/db/database.js";
import { StreamError } from "./errors.js";
import type { AckFrame, CloseReason, OpenSessionRequest, OpenedFrame, VoucherFields } from "./frames.js";
import type { ListenerFundsCache } from "./funds.js";
import { createLiveSessions, createSessionWrites, finishSession, SLOT_MS, type LiveSession, type SessionContext, type SessionSink } from "./live.js";
import { openSession } from "./open.js";
import { cacheReads } from "./read-cache.js";
import { tickFrame, tickVerdict, type StreamRules } from "./rules.js";
import { acceptVoucher } from "./vouchers.js";

export type { SessionSink } from "./live.js";
export type { StreamRules };

export type SessionManager = {
  /** Opens a new session or resumes a stored one (a live one moves to `sink`, the old connection ends as `replaced`). */
  open(request: OpenSessionRequest, sink: SessionSink | undefined): Promise<OpenedFrame>;
  /** Checks a voucher and stores it before resolving with the ack; throws `StreamError` with the refusal's code. */
  voucher(sessionId: Hex, fields: VoucherFields): Promise<AckFrame>;
  /** Ends a live session (no-op when it is not live here). */
  end(sessionId: Hex, reason: CloseReason): Promise<void>;
  /** A socket went away: its session stays live, waiting for a resume, until the silence timeout. */
  detach(sessionId: Hex, sink: SessionSink): void;
  isLive(sessionId: Hex): boolean;
  liveCount(): number;
  start(): void;
  /** Ends every live session as `server_shutdown` (they stay resumable) and waits for pending writes. */
  close(): Promise<void>;
};

export type CreateSessionManagerParameters = {
  db: Database;
  /** Checks a voucher's signature: here, or batched on the signature-check threads. */
  verifier: { verify(voucher: StreamVoucher, signature: Hex): boolean | Promise<boolean> };
  funds: ListenerFundsCache;
  rules: StreamRules;
  /** The creator a track pays (zero address for an unknown track). */
  creatorOf(trackId: bigint): Promise<Address>;
  /** Whether the vault will pay `account` (see createCreatorCheck): a session pays a creator or is refused. */
  isCreator(account: Address): Promise<boolean>;
  /** Called when a session ends, so settlement can follow soon. */
  onEnded?: (sessionId: Hex, reason: CloseReason) => void;
  /** Observes each acknowledged voucher (seconds from arrival to ack) and each refusal, for metrics. */
  onVoucher?: (outcome: { code: "accepted" | string; seconds: number }) => void;
  log?: LogLine;
  now?: () => number;
};

/**
 * Every live session of this process, in memory, ticked by one timer wheel (live.ts): at 10,000 sessions a 20 ms slot
 * blocks the thread for a few ms. This is the I/O shell: opening and resuming are open.ts, vouchers vouchers.ts, the
 * decisions rules.ts; here are the timer, the per-session voucher queues and shutdown.
 */
export function createSessionManager({ db, verifier, funds, rules, creatorOf, isCreator, onEnded = () => {}, onVoucher = () => {}, log = () => {}, now = Date.now }: CreateSessionManagerParameters): SessionManager {
  const live = createLiveSessions(funds);
  const ctx: SessionContext = { db, verifier, funds, rules, live, writes: createSessionWrites(db), onEnded, log, now };
  // A track's creator is fixed at mint, so a known answer never goes stale; no creator (not minted yet) is asked again.
  const parties = { artistOfTrack: cacheReads(creatorOf, (address) => !/^0x0{40}$/.test(address)), isCreator };
  let timer: NodeJS.Timeout | undefined;
  let closing = false;

  const advance = () => {
    const at = now();
    for (const session of live.advance()) {
      try {
        tickSession(ctx, session, at);
      } catch (error) {
        log(`tick of session ${session.id} failed: ${String(error)}`, { level: "warn", sessionId: session.id, err: error });
      }
    }
  };

  return {
    open(request, sink) {
      if (closing) return Promise.reject(new StreamError("streaming_shutdown", "the relayer is shutting down"));
      return openSession(ctx, parties, request, sink);
    },

    voucher(sessionId, fields) {
      const session = live.get(sessionId);
      const started = performance.now();
      if (session === undefined) {
        onVoucher({ code: "session_not_found", seconds: 0 });
        return Promise.reject(new StreamError("session_not_found", `session ${sessionId} is not live on this relayer; open it again to resume`));
      }
      const run = session.queue.then(() => acceptVoucher(ctx, session, fields));
      session.queue = run.catch(() => undefined);
      run.then(
        () => onVoucher({ code: "accepted", seconds: (performance.now() - started) / 1000 }),
        (error) => onVoucher({ code: error instanceof StreamError ? error.code : "internal_error", seconds: (performance.now() - started) / 1000 }),
      );
      return run;
    },

    async end(sessionId, reason) {
      const session = live.get(sessionId);
      if (session === undefined) return;
      // Vouchers already received are answered first, so the closed frame carries the final stored amount.
      await session.queue;
      await finishSession(ctx, session, reason);
    },

    detach(sessionId, sink) {
      const session = live.get(sessionId);
      if (session !== undefined && session.sink === sink) session.sink = undefined;
    },

    isLive: (sessionId) => live.has(sessionId),
    liveCount: () => live.size(),

    start() {
      if (timer !== undefined) return;
      timer = setInterval(advance, SLOT_MS);
      timer.unref();
    },

    async close() {
      closing = true;
      clearInterval(timer);
      await Promise.all(live.all().map((session) => session.queue));
      // A shutdown leaves the sessions open in the database, so their clients can resume them on the next start.
      for (const session of live.all()) await finishSession(ctx, session, "server_shutdown", false);
      const { vouchers, inserts, closes } = ctx.writes;
      await Promise.all([vouchers.drain(), inserts.drain(), closes.drain()]);
    },
  };
}

/** A session's once-a-second turn: end it, or send its tick frame (asking for fresh funds when it looks short). */
function tickSession(ctx: SessionContext, session: LiveSession, at: number): void {
  const { funds, rules } = ctx;
  const available = funds.available(session.listener);
  const detached = session.sink === undefined && session.socketed;
  const verdict = tickVerdict(session, detached, at, rules, { available, fresh: () => funds.fresh(session.listener) });
  if (verdict.end !== undefined) {
    void finishSession(ctx, session, verdict.end);
    return;
  }
  if (verdict.refreshFunds) void funds.refresh(session.listener).catch(() => undefined);
  session.sink?.send(tickFrame(session, at, available));
}
