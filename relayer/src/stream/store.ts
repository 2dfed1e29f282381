import type { Address, Hex } from "viem";
import type { Queryable } from "../db/database.js";
import { bySessionId } from "../repo/settlements.js";

/** A session row as the API shows it; amounts are decimal strings (uint256). */
export type StoredSession = {
  sessionId: Hex;
  listener: Address;
  artist: Address;
  trackId: string | null;
  ratePerSecond: string;
  status: "open" | "closed";
  closeReason: string | null;
  cumulativeAmount: string;
  deadline: string | null;
  signature: Hex | null;
  settledAmount: string;
  settlingId: string | null;
  openedAt: string;
  lastVoucherAt: string | null;
  closedAt: string | null;
};

type SessionRow = {
  session_id: string;
  listener: string;
  artist: string;
  track_id: string | null;
  rate_per_second: string;
  status: string;
  close_reason: string | null;
  cumulative: string;
  deadline: string | null;
  signature: string | null;
  settled: string;
  settling_id: string | null;
  opened_at: string;
  voucher_at: string | null;
  closed_at: string | null;
};

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const SESSION_COLUMNS = `session_id, listener, artist, track_id::text, rate_per_second::text, status, close_reason, cumulative::text,
  deadline::text, signature, settled::text, settling_id::text, ${iso("opened_at")} AS opened_at, ${iso("voucher_at")} AS voucher_at,
  ${iso("closed_at")} AS closed_at`;

export async function findSession(db: Queryable, sessionId: Hex): Promise<StoredSession | undefined> {
  const { rows } = await db.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM stream_sessions WHERE session_id = $1`, [sessionId]);
  const row = rows[0];
  return row === undefined ? undefined : toSession(row);
}

function toSession(row: SessionRow): StoredSession {
  return {
    sessionId: hex(row.session_id),
    listener: hex(row.listener),
    artist: hex(row.artist),
    trackId: row.track_id,
    ratePerSecond: row.rate_per_second,
    status: row.status === "closed" ? "closed" : "open",
    closeReason: row.close_reason,
    cumulativeAmount: row.cumulative,
    deadline: row.deadline,
    signature: row.signature === null ? null : hex(row.signature),
    settledAmount: row.settled,
    settlingId: row.settling_id,
    openedAt: row.opened_at,
    lastVoucherAt: row.voucher_at,
    closedAt: row.closed_at,
  };
}

export type NewSession = { sessionId: Hex; listener: Address; artist: Address; trackId: bigint | null; ratePerSecond: bigint };

/** Inserts new sessions in one statement; returns the ids that were new (an existing id is left alone). */
export async function insertSessions(db: Queryable, sessions: readonly NewSession[]): Promise<Set<string>> {
  const { rows } = await db.query<{ session_id: string }>(
    `INSERT INTO stream_sessions (session_id, listener, artist, track_id, rate_per_second)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::numeric[])
     ON CONFLICT (session_id) DO NOTHING RETURNING session_id`,
    [
      sessions.map((s) => s.sessionId),
      sessions.map((s) => s.listener.toLowerCase()),
      sessions.map((s) => s.artist.toLowerCase()),
      sessions.map((s) => s.trackId?.toString() ?? null),
      sessions.map((s) => s.ratePerSecond.toString()),
    ],
  );
  return new Set(rows.map((row) => row.session_id));
}

export async function reopenSession(db: Queryable, sessionId: Hex): Promise<void> {
  await db.query(`UPDATE stream_sessions SET status = 'open', close_reason = NULL, closed_at = NULL WHERE session_id = $1`, [sessionId]);
}

export type VoucherWrite = { sessionId: Hex; cumulativeAmount: bigint; deadline: bigint; signature: Hex };

/**
 * Stores the latest voucher of many sessions in one statement (the group commit). A row only ever moves up: a
 * voucher at or below the stored amount changes nothing. Returns the session ids whose row took the voucher.
 */
export async function storeVouchers(db: Queryable, vouchers: readonly VoucherWrite[]): Promise<Set<string>> {
  // Rows are locked in array order: sorted by session id, as settlement locks them, so the two cannot deadlock.
  vouchers = bySessionId(vouchers);
  const { rows } = await db.query<{ session_id: string }>(
    `UPDATE stream_sessions s SET cumulative = v.cumulative, deadline = v.deadline, signature = v.signature, voucher_at = now()
       FROM unnest($1::text[], $2::numeric[], $3::bigint[], $4::text[]) AS v (session_id, cumulative, deadline, signature)
      WHERE s.session_id = v.session_id AND s.cumulative < v.cumulative
      RETURNING s.session_id`,
    [
      vouchers.map((v) => v.sessionId),
      vouchers.map((v) => v.cumulativeAmount.toString()),
      vouchers.map((v) => v.deadline.toString()),
      vouchers.map((v) => v.signature),
    ],
  );
  return new Set(rows.map((row) => row.session_id));
}

export async function closeSessions(db: Queryable, closes: readonly { sessionId: Hex; reason: string }[]): Promise<void> {
  closes = bySessionId(closes);
  await db.query(
    `UPDATE stream_sessions s SET status = 'closed', close_reason = c.reason, closed_at = now()
       FROM unnest($1::text[], $2::text[]) AS c (session_id, reason)
      WHERE s.session_id = c.session_id AND s.status = 'open'`,
    [closes.map((c) => c.sessionId), closes.map((c) => c.reason)],
  );
}

/** What a listener's stored vouchers commit beyond what the vault has already paid. */
export async function listenerUnsettled(db: Queryable, listener: Address): Promise<bigint> {
  const [unsettled] = await listenersUnsettled(db, [listener]);
  return unsettled ?? 0n;
}

/** `listenerUnsettled` of many listeners in one statement, in the order given. */
export async function listenersUnsettled(db: Queryable, listeners: readonly Address[]): Promise<bigint[]> {
  if (listeners.length === 0) return [];
  const keys = listeners.map((listener) => listener.toLowerCase());
  const { rows } = await db.query<{ listener: string; unsettled: string | null }>(
    `SELECT listener, sum(GREATEST(cumulative - settled, 0))::text AS unsettled FROM stream_sessions
      WHERE listener = ANY($1::text[]) GROUP BY listener`,
    [[...new Set(keys)]],
  );
  const byListener = new Map(rows.map((row) => [row.listener, BigInt(row.unsettled ?? "0")]));
  return keys.map((key) => byListener.get(key) ?? 0n);
}

/** An artist's amounts across the sessions this relayer knows: settled on chain, and signed but not yet settled. */
export async function artistTotals(db: Queryable, artist: Address): Promise<{ settled: bigint; pending: bigint; sessions: number }> {
  const { rows } = await db.query<{ settled: string | null; pending: string | null; sessions: string }>(
    `SELECT sum(settled)::text AS settled, sum(GREATEST(cumulative - settled, 0))::text AS pending, count(*)::text AS sessions
       FROM stream_sessions WHERE artist = $1`,
    [artist.toLowerCase()],
  );
  const row = rows[0];
  return { settled: BigInt(row?.settled ?? "0"), pending: BigInt(row?.pending ?? "0"), sessions: Number(row?.sessions ?? 0) };
}

function hex(value: string): `0x${string}` {
  return `0x${value.slice(2)}`;
}
