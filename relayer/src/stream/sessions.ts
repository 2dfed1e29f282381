import { randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import type { Database } from "../repo/db/database.js";
import { StreamError } from "./errors.js";
import { CLOSE_REASONS, type CloseReason } from "./frames.js";
import type { ListenerFundsCache } from "./funds.js";
import type { AckFrame, ClosedFrame, OpenSessionRequest, OpenedFrame, VoucherFields } from "./frames.js";
import { createGroupCommit } from "./group-commit.js";
import { closeSessions, findSession, insertSessions, reopenSession, storeVouchers, type NewSession, type VoucherWrite } from "../repo/sessions.js";
import type { StreamVoucher } from "../crypto/eip712.js";
import { cacheReads } from "./read-cache.js";
import { tickFrame, tickVerdict, voucherRefusal, type SessionNumbers, type StreamRules } from "./rules.js";
import { lowerHex } from "../crypto/hex.js";

/** Where a session's frames go: a WebSocket, or nothing for a session driven over HTTP. */
export type SessionSink = {
  send(frame: string): void;
  close(code: number, reason: string): void;
};

export type { StreamRules };

/** One live session in this process: the numbers the rules decide on (rules.ts), and its connection and place. */
type LiveSession = SessionNumbers & {
  artist: Address;
  trackId: bigint | null;
  sink: SessionSink | undefined;
  /** Opened over a socket (ends as `disconnected` rather than `silent` when the socket is gone). */
  socketed: boolean;
  slot: number;
  /** The session's vouchers are checked one after another. */
  queue: Promise<unknown>;
};

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
  log?: (message: string) => void;
  now?: () => number;
};

const WHEEL_SLOTS = 50;
const SLOT_MS = 1_000 / WHEEL_SLOTS;
/** Least time between two voucher statements under load (see createGroupCommit's minIntervalMs). */
const VOUCHER_STATEMENT_INTERVAL_MS = 10;

/**
 * Every live session of this process, in memory, ticked by one timer wheel: fifty slots of 20 ms (at 10,000 sessions a slot blocks the
 * thread for a few ms, not the 20 ms of ten 100 ms slots), each session in the
 * slot of its opening, so the once-a-second work (tick frame, silence, funds) is spread over the second instead of
 * one timer per session. Vouchers go through cheap checks first, then the native signature check (on the
 * signature-check threads when the server has them), then a funds reservation, then the group-committed write;
 * the ack leaves only after the write.
 */
export function createSessionManager({ db, verifier, funds, rules, creatorOf, isCreator, onEnded = () => {}, onVoucher = () => {}, log = () => {}, now = Date.now }: CreateSessionManagerParameters): SessionManager {
  const live = new Map<string, LiveSession>();
  const wheel: Set<LiveSession>[] = Array.from({ length: WHEEL_SLOTS }, () => new Set());
  const listenerSessions = new Map<string, number>();
  let cursor = 0;
  let timer: NodeJS.Timeout | undefined;
  let closing = false;

  const vouchers = createGroupCommit<VoucherWrite, boolean>({
    write: async (items) => {
      const stored = await storeVouchers(db, items);
      return items.map((item) => stored.has(item.sessionId));
    },
    // At 2,000 vouchers a second one pass of the event loop gathered about 8 per statement: 250 statements a
    // second, whose fixed cost kept the embedded store's thread a third busy. 10 ms apart, each carries ~20.
    minIntervalMs: VOUCHER_STATEMENT_INTERVAL_MS,
  });
  const inserts = createGroupCommit<NewSession, boolean>({
    write: async (items) => {
      const created = await insertSessions(db, items);
      return items.map((item) => created.has(item.sessionId));
    },
  });
  const closes = createGroupCommit<{ sessionId: Hex; reason: string }, void>({
    write: async (items) => {
      await closeSessions(db, items);
      return items.map(() => undefined);
    },
  });

  // A track's creator is fixed at mint, so a known answer never goes stale; no creator (not minted yet) is asked again.
  const artistOfTrack = cacheReads(creatorOf, (address) => !/^0x0{40}$/.test(address));

  const remainingOf = (listener: Address) => funds.available(listener)?.toString() ?? null;

  const send = (session: LiveSession, frame: object) => {
    try {
      session.sink?.send(JSON.stringify(frame));
    } catch {
      // A socket that fails to send is closing; its close handler detaches it.
    }
  };

  const addLive = (session: LiveSession) => {
    live.set(session.id, session);
    wheel[session.slot]?.add(session);
    listenerSessions.set(session.listener, (listenerSessions.get(session.listener) ?? 0) + 1);
  };

  const removeLive = (session: LiveSession) => {
    live.delete(session.id);
    wheel[session.slot]?.delete(session);
    const left = (listenerSessions.get(session.listener) ?? 1) - 1;
    if (left <= 0) {
      listenerSessions.delete(session.listener);
      funds.forget(session.listener);
    } else listenerSessions.set(session.listener, left);
  };

  const finish = async (session: LiveSession, reason: CloseReason, persist = true) => {
    if (live.get(session.id) !== session) return;
    removeLive(session);
    const { code, message } = CLOSE_REASONS[reason];
    const frame: ClosedFrame = { type: "closed", reason, message, cumulativeAmount: session.acked.toString() };
    send(session, frame);
    try {
      session.sink?.close(code, reason);
    } catch {
      // already closed
    }
    session.sink = undefined;
    // A shutdown leaves the session open in the database, so the client can resume it on the next start.
    if (persist) {
      await closes.submit({ sessionId: session.id, reason }).catch((error) => log(`closing session ${session.id} failed: ${String(error)}`));
    }
    onEnded(session.id, reason);
  };

  const tickSession = (session: LiveSession, at: number) => {
    const available = funds.available(session.listener);
    const detached = session.sink === undefined && session.socketed;
    const verdict = tickVerdict(session, detached, at, rules, { available, fresh: () => funds.fresh(session.listener) });
    if (verdict.end !== undefined) {
      void finish(session, verdict.end);
      return;
    }
    if (verdict.refreshFunds) void funds.refresh(session.listener).catch(() => undefined);
    session.sink?.send(tickFrame(session, at, available));
  };

  const advance = () => {
    const at = now();
    const slot = wheel[cursor];
    cursor = (cursor + 1) % WHEEL_SLOTS;
    if (slot === undefined) return;
    for (const session of [...slot]) {
      try {
        tickSession(session, at);
      } catch (error) {
        log(`tick of session ${session.id} failed: ${String(error)}`);
      }
    }
  };

  const checkVoucher = async (session: LiveSession, fields: VoucherFields): Promise<AckFrame> => {
    if (live.get(session.id) !== session) throw new StreamError("session_closed", `session ${session.id} has ended`);
    const at = now();
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
      setImmediate(() => void finish(session, "insufficient_funds"));
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
      stored = await vouchers.submit({ sessionId: session.id, cumulativeAmount, deadline, signature });
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
    return { type: "ack", cumulativeAmount: cumulativeAmount.toString(), remaining: remainingOf(session.listener) };
  };

  return {
    async open(request, sink) {
      if (closing) throw new StreamError("streaming_shutdown", "the relayer is shutting down");
      const artist = request.artist ?? (await resolveArtist(request.trackId));
      if (artist === request.listener) throw new StreamError("invalid_message", "a listener cannot pay itself");
      // Before anything is stored or resumed: the vault would refuse every voucher of this session at settlement.
      await requireCreator(artist);
      const at = now();
      if (request.sessionId !== undefined) {
        const current = live.get(request.sessionId);
        if (current !== undefined) {
          matchOrThrow(current, request, artist);
          // A reconnect: the old connection (often half-open) gives way to the new one.
          const old = current.sink;
          if (old !== undefined && old !== sink) {
            try {
              old.send(JSON.stringify({ type: "closed", reason: "replaced", message: CLOSE_REASONS.replaced.message, cumulativeAmount: current.acked.toString() }));
              old.close(CLOSE_REASONS.replaced.code, "replaced");
            } catch {
              // already gone
            }
          }
          current.sink = sink;
          current.socketed ||= sink !== undefined;
          // Time spent away is not billable: the allowance restarts from what was acknowledged.
          current.baseAt = at;
          current.baseAmount = current.acked;
          current.lastPaidAt = at;
          return openedFrame(current, true);
        }
      }
      if (live.size >= rules.maxSessions) throw new StreamError("too_many_sessions", `this relayer holds ${rules.maxSessions} live sessions`);
      let acked = 0n;
      let resumed = false;
      const sessionId: Hex = request.sessionId ?? `0x${randomBytes(32).toString("hex")}`;
      const fresh: NewSession = { sessionId, listener: request.listener, artist, trackId: request.trackId ?? null, ratePerSecond: request.ratePerSecond };
      let created: boolean;
      try {
        created = await inserts.submit(fresh);
      } catch (error) {
        throw new StreamError("storage_unavailable", "the session could not be stored", { cause: error });
      }
      if (!created) {
        const stored = await findSession(db, sessionId);
        if (stored === undefined) throw new StreamError("storage_unavailable", `session ${sessionId} vanished while it was opened`);
        if (stored.listener !== request.listener || stored.artist !== artist || BigInt(stored.ratePerSecond) !== request.ratePerSecond) {
          throw new StreamError("session_mismatch", `session ${sessionId} belongs to another listener, artist or rate`);
        }
        if (stored.closeReason === "client_closed") throw new StreamError("session_closed", `session ${sessionId} was closed by its client`);
        if (stored.status === "closed") await reopenSession(db, sessionId);
        acked = BigInt(stored.cumulativeAmount);
        resumed = true;
      }
      // Opened a session meanwhile under the same id (two resumes racing): keep the first.
      const raced = live.get(sessionId);
      if (raced !== undefined) {
        matchOrThrow(raced, request, artist);
        return openedFrame(raced, true);
      }
      const session: LiveSession = {
        id: sessionId,
        listener: request.listener,
        artist,
        trackId: request.trackId ?? null,
        rate: request.ratePerSecond,
        acked,
        accepted: acked,
        baseAt: at,
        baseAmount: acked,
        lastPaidAt: at,
        sink,
        socketed: sink !== undefined,
        // The slot just processed: the first tick comes a full second after opening.
        slot: (cursor + WHEEL_SLOTS - 1) % WHEEL_SLOTS,
        queue: Promise.resolve(),
      };
      addLive(session);
      // The figure the opened frame shows; a failed read leaves it null (vouchers retry the read).
      if (funds.available(session.listener) === undefined) await funds.refresh(session.listener).catch(() => undefined);
      return openedFrame(session, resumed);
    },

    voucher(sessionId, fields) {
      const session = live.get(sessionId);
      const started = performance.now();
      if (session === undefined) {
        onVoucher({ code: "session_not_found", seconds: 0 });
        return Promise.reject(new StreamError("session_not_found", `session ${sessionId} is not live on this relayer; open it again to resume`));
      }
      const run = session.queue.then(() => checkVoucher(session, fields));
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
      await finish(session, reason);
    },

    detach(sessionId, sink) {
      const session = live.get(sessionId);
      if (session !== undefined && session.sink === sink) session.sink = undefined;
    },

    isLive: (sessionId) => live.has(sessionId),
    liveCount: () => live.size,

    start() {
      if (timer !== undefined) return;
      timer = setInterval(advance, SLOT_MS);
      timer.unref();
    },

    async close() {
      closing = true;
      clearInterval(timer);
      await Promise.all([...live.values()].map((session) => session.queue));
      for (const session of [...live.values()]) await finish(session, "server_shutdown", false);
      await Promise.all([vouchers.drain(), inserts.drain(), closes.drain()]);
    },
  };

  async function resolveArtist(trackId: bigint | undefined): Promise<Address> {
    if (trackId === undefined) throw new StreamError("invalid_message", "give exactly one of artist and trackId");
    let creator: Address;
    try {
      creator = await artistOfTrack(trackId);
    } catch (error) {
      throw new StreamError("chain_unavailable", "the track's creator cannot be read right now", { cause: error });
    }
    if (/^0x0{40}$/.test(creator)) throw new StreamError("unknown_track", `track ${trackId} is not minted`);
    return lowerHex(creator);
  }

  async function requireCreator(artist: Address): Promise<void> {
    let creator: boolean;
    try {
      creator = await isCreator(artist);
    } catch (error) {
      throw new StreamError("chain_unavailable", "whether the artist is a creator cannot be read right now", { cause: error });
    }
    // Otherwise a listener could name an address of its own and take its balance out as earnings, around the vault's delay.
    if (!creator) throw new StreamError("artist_not_creator", `${artist} is not a creator (it has minted no track); name a creator or a trackId`);
  }

  function matchOrThrow(session: LiveSession, request: OpenSessionRequest, artist: Address) {
    if (session.listener !== request.listener || session.artist !== artist || session.rate !== request.ratePerSecond) {
      throw new StreamError("session_mismatch", `session ${session.id} belongs to another listener, artist or rate`);
    }
  }

  function openedFrame(session: LiveSession, resumed: boolean): OpenedFrame {
    return {
      type: "opened",
      sessionId: session.id,
      listener: session.listener,
      artist: session.artist,
      trackId: session.trackId?.toString() ?? null,
      ratePerSecond: session.rate.toString(),
      cumulativeAmount: session.acked.toString(),
      remaining: remainingOf(session.listener),
      voucherIntervalSeconds: rules.voucherIntervalSeconds,
      graceSeconds: rules.graceSeconds,
      silenceSeconds: rules.silenceSeconds,
      minVoucherTtlSeconds: rules.minVoucherTtlSeconds,
      resumed,
    };
  }
}
