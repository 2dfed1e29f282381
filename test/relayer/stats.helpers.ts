import { keccak256, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { ENGAGEMENT_TYPES, PLAY_TYPES, playDomain, type Engagement } from "../../relayer/src/crypto/eip712.js";
import type { Queryable } from "../../relayer/src/repo/db/database.js";
import { randomNonce } from "./core.helpers.js";

/**
 * Raw rows for the statistics tests, written the way ingestion writes them: plays and engagement events signed for
 * real by the fan's key (EIP-712, MusicNFT's domain), then inserted as the rows migration 1 and 6 describe.
 */

export const TEST_DOMAIN = { chainId: 31337, musicNFT: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address };
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_BYTES32 = `0x${"0".repeat(64)}`;

export type TestPlay = { listener: PrivateKeyAccount; trackId: bigint; at: number };

export async function insertSignedPlays(db: Queryable, plays: readonly TestPlay[]): Promise<void> {
  for (const play of plays) {
    const message = { listener: play.listener.address, trackId: play.trackId, startedAt: BigInt(play.at), durationSeconds: 42, nonce: randomNonce() };
    const signature = await play.listener.signTypedData({ domain: playDomain(TEST_DOMAIN), types: PLAY_TYPES, primaryType: "Play", message });
    await db.query(
      `INSERT INTO plays (listener, track_id, started_at, duration_seconds, nonce, signature, signature_hash, client_ip)
       VALUES ($1, $2, $3, 42, $4, $5, $6, '10.0.0.1')`,
      [play.listener.address.toLowerCase(), play.trackId.toString(), play.at, message.nonce, signature, keccak256(signature)],
    );
  }
}

export type TestEvent = {
  fan: PrivateKeyAccount;
  action: string;
  trackId?: bigint;
  artist?: Address;
  text?: string;
  value?: number;
  at: number;
  /** Whether ingestion found it changed state (docs/engagement.md): only effective events count. */
  effective?: boolean;
};

export async function insertSignedEvents(db: Queryable, events: readonly TestEvent[]): Promise<void> {
  for (const event of events) {
    const message: Engagement = {
      fan: event.fan.address,
      action: event.action,
      trackId: event.trackId ?? 0n,
      artist: event.artist ?? ZERO_ADDRESS,
      subject: event.action.startsWith("play_") || event.action.startsWith("comment") ? randomNonce() : (ZERO_BYTES32 as Hex),
      text: event.text ?? "",
      value: event.value ?? 0,
      nonce: randomNonce(),
      issuedAt: BigInt(event.at),
    };
    const signature = await event.fan.signTypedData({ domain: playDomain(TEST_DOMAIN), types: ENGAGEMENT_TYPES, primaryType: "Engagement", message });
    await db.query(
      `INSERT INTO engagement_events (fan, action, track_id, artist, subject, text, value, nonce, issued_at, signature, signature_hash, client_ip, effective)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '10.0.0.1', $12)`,
      [
        message.fan.toLowerCase(),
        message.action,
        message.trackId.toString(),
        message.artist.toLowerCase(),
        message.subject,
        message.text,
        message.value,
        message.nonce,
        event.at,
        signature,
        keccak256(signature),
        event.effective ?? true,
      ],
    );
  }
}

/** `epoch seconds of date_trunc(grain, t)` in SQL: PostgreSQL's own bucketing, to check the rollup's. */
const trunc = (grain: string, column: string) => `extract(epoch FROM date_trunc('${grain}', to_timestamp(${column}) AT TIME ZONE 'UTC'))::bigint`;

const EVENT_METRIC = `CASE e.action
  WHEN 'like' THEN 'likes' WHEN 'unlike' THEN 'likes' WHEN 'save' THEN 'saves' WHEN 'unsave' THEN 'saves'
  WHEN 'share' THEN 'shares' WHEN 'download' THEN 'downloads' WHEN 'comment' THEN 'comments' WHEN 'comment_delete' THEN 'comments'
  WHEN 'play_complete' THEN 'completes' WHEN 'play_skip' THEN 'skips' WHEN 'follow' THEN 'followers' WHEN 'unfollow' THEN 'followers' END`;
const EVENT_SIGN = `CASE WHEN e.action IN ('unlike', 'unsave', 'comment_delete', 'unfollow') THEN -1 ELSE 1 END`;
const METRICS = ["plays", "listeners", "likes", "saves", "shares", "downloads", "comments", "completes", "skips", "followers"];

/** Grains whose buckets store their distinct listeners (weeks and longer read them from the day sets). */
const LISTENER_GRAINS = ["hour", "day"];

/**
 * Every (kind, key, grain, bucket) row recounted from the raw tables alone (plays, effective events, the creators
 * cache), as text lines sorted, all-zero rows left out: what stats_buckets must hold.
 */
export async function recountBuckets(db: Queryable): Promise<string[]> {
  const grains = ["hour", "day", "week", "month", "year"];
  const lines: string[] = [];
  for (const grain of grains) {
    const { rows } = await db.query<Record<string, string>>(
      `WITH facts AS (
         SELECT 't' AS kind, p.track_id::text AS key, ${trunc(grain, "p.started_at")} AS bucket, 'plays' AS metric, 1 AS n, p.listener FROM plays p
         UNION ALL SELECT 'a', c.creator, ${trunc(grain, "p.started_at")}, 'plays', 1, p.listener FROM plays p JOIN stats_track_creators c USING (track_id)
         UNION ALL SELECT 't', e.track_id::text, ${trunc(grain, "e.issued_at")}, ${EVENT_METRIC}, ${EVENT_SIGN}, NULL FROM engagement_events e
           WHERE e.effective AND e.action NOT IN ('follow', 'unfollow') AND ${EVENT_METRIC} IS NOT NULL
         UNION ALL SELECT 'a', c.creator, ${trunc(grain, "e.issued_at")}, ${EVENT_METRIC}, ${EVENT_SIGN}, NULL FROM engagement_events e JOIN stats_track_creators c USING (track_id)
           WHERE e.effective AND e.action NOT IN ('follow', 'unfollow') AND ${EVENT_METRIC} IS NOT NULL
         UNION ALL SELECT 'a', e.artist, ${trunc(grain, "e.issued_at")}, 'followers', ${EVENT_SIGN}, NULL FROM engagement_events e
           WHERE e.effective AND e.action IN ('follow', 'unfollow'))
       SELECT kind, key, bucket::text,
              ${METRICS.map((m) => (m === "listeners" ? `${LISTENER_GRAINS.includes(grain) ? "count(DISTINCT listener)" : "0"}::text AS listeners` : `COALESCE(sum(n) FILTER (WHERE metric = '${m}'), 0)::text AS ${m}`)).join(", ")}
         FROM facts GROUP BY kind, key, bucket`,
    );
    for (const row of rows.filter((r) => METRICS.some((m) => r[m] !== "0"))) lines.push(`${row.kind} ${row.key} ${grain} ${row.bucket} ${METRICS.map((m) => `${m}=${row[m]}`).join(" ")}`);
  }
  return lines.sort();
}

/** stats_buckets as the same text lines. */
export async function storedBuckets(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<Record<string, string>>(`SELECT kind, key, grain, bucket::text, ${METRICS.map((m) => `${m}::text`).join(", ")} FROM stats_buckets`);
  return rows
    .filter((row) => METRICS.some((m) => row[m] !== "0"))
    .map((row) => `${row.kind} ${row.key} ${row.grain} ${row.bucket} ${METRICS.map((m) => `${m}=${row[m]}`).join(" ")}`)
    .sort();
}

const TOTALS = [...METRICS, "shares_link", "shares_x", "shares_farcaster", "shares_embed", "shares_other"];

/** Every scope's all-time counters recounted from the raw tables, as sorted text lines (all-zero scopes left out). */
export async function recountTotals(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<Record<string, string>>(
    `WITH facts AS (
       SELECT 't' AS kind, p.track_id::text AS key, 'plays' AS metric, 1 AS n, p.listener FROM plays p
       UNION ALL SELECT 'a', c.creator, 'plays', 1, p.listener FROM plays p JOIN stats_track_creators c USING (track_id)
       UNION ALL SELECT 't', e.track_id::text, ${EVENT_METRIC}, ${EVENT_SIGN}, NULL FROM engagement_events e
         WHERE e.effective AND e.action NOT IN ('follow', 'unfollow') AND ${EVENT_METRIC} IS NOT NULL
       UNION ALL SELECT 'a', c.creator, ${EVENT_METRIC}, ${EVENT_SIGN}, NULL FROM engagement_events e JOIN stats_track_creators c USING (track_id)
         WHERE e.effective AND e.action NOT IN ('follow', 'unfollow') AND ${EVENT_METRIC} IS NOT NULL
       UNION ALL SELECT 'a', e.artist, 'followers', ${EVENT_SIGN}, NULL FROM engagement_events e WHERE e.effective AND e.action IN ('follow', 'unfollow')
       UNION ALL SELECT 't', e.track_id::text, 'shares_' || e.text, 1, NULL FROM engagement_events e WHERE e.effective AND e.action = 'share'
       UNION ALL SELECT 'a', c.creator, 'shares_' || e.text, 1, NULL FROM engagement_events e JOIN stats_track_creators c USING (track_id)
         WHERE e.effective AND e.action = 'share')
     SELECT kind, key, ${TOTALS.map((m) => (m === "listeners" ? `count(DISTINCT listener)::text AS listeners` : `COALESCE(sum(n) FILTER (WHERE metric = '${m}'), 0)::text AS ${m}`)).join(", ")}
       FROM facts GROUP BY kind, key`,
  );
  return rows
    .filter((row) => TOTALS.some((m) => row[m] !== "0"))
    .map((row) => `${row.kind} ${row.key} ${TOTALS.map((m) => `${m}=${row[m]}`).join(" ")}`)
    .sort();
}

export async function storedTotals(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<Record<string, string>>(`SELECT kind, key, ${TOTALS.map((m) => `${m}::text`).join(", ")} FROM stats_totals`);
  return rows
    .filter((row) => TOTALS.some((m) => row[m] !== "0"))
    .map((row) => `${row.kind} ${row.key} ${TOTALS.map((m) => `${m}=${row[m]}`).join(" ")}`)
    .sort();
}

/**
 * stats_recency recounted from the raw plays: for each scope and listener, the hour (and day) of its latest play,
 * counted per bucket; as sorted text lines, zero rows left out.
 */
export async function recountRecency(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    `WITH scoped AS (
       SELECT 't' AS kind, p.track_id::text AS key, p.listener, p.started_at FROM plays p
       UNION ALL SELECT 'a', c.creator, p.listener, p.started_at FROM plays p JOIN stats_track_creators c USING (track_id)),
     latest AS (SELECT kind, key, listener, max(${trunc("hour", "started_at")}) AS hour FROM scoped GROUP BY kind, key, listener)
     SELECT kind || ' ' || key || ' hour ' || hour || ' ' || count(*) AS line FROM latest GROUP BY kind, key, hour
     UNION ALL SELECT kind || ' ' || key || ' day ' || (hour - hour % 86400) || ' ' || count(*) FROM latest GROUP BY kind, key, hour - hour % 86400`,
  );
  return rows.map((r) => r.line).sort();
}

export async function storedRecency(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(`SELECT kind || ' ' || key || ' ' || grain || ' ' || bucket || ' ' || listeners AS line FROM stats_recency WHERE listeners <> 0`);
  return rows.map((r) => r.line).sort();
}

/** stats_source_buckets recounted from the effective play_complete / play_skip events, as sorted text lines. */
export async function recountSourceBuckets(db: Queryable): Promise<string[]> {
  const lines: string[] = [];
  for (const grain of ["hour", "day"]) {
    const { rows } = await db.query<{ line: string }>(
      `WITH ended AS (
         SELECT 't' AS kind, e.track_id::text AS key, e.text AS source, e.action, e.issued_at FROM engagement_events e
          WHERE e.effective AND e.action IN ('play_complete', 'play_skip')
         UNION ALL SELECT 'a', c.creator, e.text, e.action, e.issued_at FROM engagement_events e JOIN stats_track_creators c USING (track_id)
          WHERE e.effective AND e.action IN ('play_complete', 'play_skip'))
       SELECT kind || ' ' || key || ' ${grain} ' || ${trunc(grain, "issued_at")} || ' ' || source || ' ' ||
              count(*) FILTER (WHERE action = 'play_complete') || ' ' || count(*) FILTER (WHERE action = 'play_skip') AS line
         FROM ended GROUP BY kind, key, ${trunc(grain, "issued_at")}, source`,
    );
    lines.push(...rows.map((r) => r.line));
  }
  return lines.sort();
}

export async function storedSourceBuckets(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    `SELECT kind || ' ' || key || ' ' || grain || ' ' || bucket || ' ' || source || ' ' || completes || ' ' || skips AS line FROM stats_source_buckets WHERE completes <> 0 OR skips <> 0`,
  );
  return rows.map((r) => r.line).sort();
}
