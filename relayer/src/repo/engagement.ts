import type { Queryable } from "./db/database.js";

/**
 * The engagement tables (migration 6): the append-only `engagement_events` and the state they set — `track_marks`
 * (likes, saves), `follows`, `playlists` with `playlist_tracks`, `comments` — and the fan's own view over them. Every
 * statement of ingestion runs inside the one transaction that decides and stores a request's events.
 */

/** The key of an event among rows: fan, colon, nonce (both lowercase hex). */
export function eventKey(fan: string, nonce: string): string {
  return `${fan}:${nonce}`;
}

export function markKey(kind: string, trackId: bigint, fan: string): string {
  return `${kind}:${trackId}:${fan}`;
}

export function followKey(artist: string, fan: string): string {
  return `${artist}:${fan}`;
}

/** A toggle's current state: whether it is on, and the issuedAt of the newest toggle seen (older ones change nothing). */
export type ToggleState = { active: boolean; issuedAt: bigint; eventId: string };

export type PlaylistState = {
  id: string;
  owner: string;
  name: string;
  public: boolean;
  deleted: boolean;
  createdAt: bigint;
  updatedAt: bigint;
  eventId: string;
  /** Track ids in position order. */
  tracks: bigint[];
};

export type CommentState = { id: string; trackId: bigint; fan: string; body: string; positionSeconds: number | null; issuedAt: bigint; deleted: boolean; eventId: string };

export type EngagementStateQuery = {
  events: readonly { fan: string; nonce: string }[];
  buckets: readonly string[];
  marks: readonly { kind: string; trackId: bigint; fan: string }[];
  follows: readonly { artist: string; fan: string }[];
  playlistIds: readonly string[];
  /** Fans about to create playlists: their live (undeleted) playlist count is read. */
  owners: readonly string[];
  commentIds: readonly string[];
};

export type EngagementState = {
  usedNonces: Set<string>;
  counts: Map<string, number>;
  marks: Map<string, ToggleState>;
  follows: Map<string, ToggleState>;
  playlists: Map<string, PlaylistState>;
  livePlaylists: Map<string, number>;
  comments: Map<string, CommentState>;
};

/**
 * Everything a request's events are decided against, read inside its transaction: used nonces, rate windows, and the
 * current state of the marks, follows, playlists (with their tracks) and comments they touch.
 */
export async function readEngagementState(tx: Queryable, query: EngagementStateQuery): Promise<EngagementState> {
  const state: EngagementState = {
    usedNonces: new Set(),
    counts: new Map(),
    marks: new Map(),
    follows: new Map(),
    playlists: new Map(),
    livePlaylists: new Map(),
    comments: new Map(),
  };
  const { rows: nonceAndCounts } = await tx.query<{ kind: string; key: string; count: number | null }>(
    `SELECT 'nonce' AS kind, e.fan || ':' || e.nonce AS key, NULL::integer AS count FROM engagement_events e
       JOIN unnest($1::text[], $2::text[]) AS wanted (fan, nonce) ON e.fan = wanted.fan AND e.nonce = wanted.nonce
     UNION ALL
     SELECT 'bucket', bucket, count FROM rate_counters WHERE bucket = ANY($3::text[])`,
    [query.events.map((e) => e.fan), query.events.map((e) => e.nonce), [...query.buckets]],
  );
  for (const row of nonceAndCounts) {
    if (row.kind === "nonce") state.usedNonces.add(row.key);
    else state.counts.set(row.key, Number(row.count));
  }
  if (query.marks.length > 0) {
    const { rows } = await tx.query<{ kind: string; track_id: string; fan: string; active: boolean; issued_at: string; event_id: string }>(
      `SELECT m.kind, m.track_id::text, m.fan, m.active, m.issued_at::text, m.event_id::text FROM track_marks m
         JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS wanted (kind, track_id, fan)
           ON m.kind = wanted.kind AND m.track_id = wanted.track_id AND m.fan = wanted.fan`,
      [query.marks.map((m) => m.kind), query.marks.map((m) => m.trackId.toString()), query.marks.map((m) => m.fan)],
    );
    for (const row of rows) {
      state.marks.set(markKey(row.kind, BigInt(row.track_id), row.fan), { active: row.active, issuedAt: BigInt(row.issued_at), eventId: row.event_id });
    }
  }
  if (query.follows.length > 0) {
    const { rows } = await tx.query<{ artist: string; fan: string; active: boolean; issued_at: string; event_id: string }>(
      `SELECT f.artist, f.fan, f.active, f.issued_at::text, f.event_id::text FROM follows f
         JOIN unnest($1::text[], $2::text[]) AS wanted (artist, fan) ON f.artist = wanted.artist AND f.fan = wanted.fan`,
      [query.follows.map((f) => f.artist), query.follows.map((f) => f.fan)],
    );
    for (const row of rows) state.follows.set(followKey(row.artist, row.fan), { active: row.active, issuedAt: BigInt(row.issued_at), eventId: row.event_id });
  }
  if (query.playlistIds.length > 0) {
    for (const playlist of await readPlaylists(tx, query.playlistIds)) state.playlists.set(playlist.id, playlist);
  }
  if (query.owners.length > 0) {
    const { rows } = await tx.query<{ owner: string; live: number }>(
      `SELECT owner, count(*)::integer AS live FROM playlists WHERE owner = ANY($1::text[]) AND NOT deleted GROUP BY owner`,
      [[...query.owners]],
    );
    for (const row of rows) state.livePlaylists.set(row.owner, Number(row.live));
  }
  if (query.commentIds.length > 0) {
    const { rows } = await tx.query<CommentRow>(`SELECT ${COMMENT_COLUMNS} FROM comments WHERE id = ANY($1::text[])`, [[...query.commentIds]]);
    for (const row of rows) state.comments.set(row.id, commentOf(row));
  }
  return state;
}

type PlaylistRow = {
  id: string;
  owner: string;
  name: string;
  public: boolean;
  deleted: boolean;
  created_at: string;
  updated_at: string;
  event_id: string;
  tracks: string[] | null;
};

/** Playlists by id with their tracks in position order (one statement). */
async function readPlaylists(db: Queryable, ids: readonly string[]): Promise<PlaylistState[]> {
  const { rows } = await db.query<PlaylistRow>(
    `SELECT p.id, p.owner, p.name, p.public, p.deleted, p.created_at::text, p.updated_at::text, p.event_id::text,
            (SELECT array_agg(t.track_id::text ORDER BY t.position) FROM playlist_tracks t WHERE t.playlist_id = p.id) AS tracks
       FROM playlists p WHERE p.id = ANY($1::text[])`,
    [[...ids]],
  );
  return rows.map((row) => ({
    id: row.id,
    owner: row.owner,
    name: row.name,
    public: row.public,
    deleted: row.deleted,
    createdAt: BigInt(row.created_at),
    updatedAt: BigInt(row.updated_at),
    eventId: row.event_id,
    tracks: (row.tracks ?? []).map((id) => BigInt(id)),
  }));
}

type CommentRow = { id: string; track_id: string; fan: string; body: string; position_seconds: string | null; issued_at: string; deleted: boolean; event_id: string };
const COMMENT_COLUMNS = `id, track_id::text, fan, body, position_seconds::text, issued_at::text, deleted, event_id::text`;

function commentOf(row: CommentRow): CommentState {
  return {
    id: row.id,
    trackId: BigInt(row.track_id),
    fan: row.fan,
    body: row.body,
    positionSeconds: row.position_seconds === null ? null : Number(row.position_seconds),
    issuedAt: BigInt(row.issued_at),
    deleted: row.deleted,
    eventId: row.event_id,
  };
}

/** An accepted event as stored: its signed fields (lowercase hex), its signature and whether it changed state. */
export type EventToStore = {
  fan: string;
  action: string;
  trackId: bigint;
  artist: string;
  subject: string;
  text: string;
  value: number;
  nonce: string;
  issuedAt: bigint;
  signature: string;
  signatureHash: string;
  effective: boolean;
};

/**
 * Inserts the accepted events in one statement; returns their ids keyed by eventKey. Callers hold the fans' locks
 * (or PGlite's single connection), so every (fan, nonce) is new: a conflict here is a broken invariant and throws,
 * which rolls the whole request back rather than store state without its event.
 */
export async function insertEngagementEvents(tx: Queryable, events: readonly EventToStore[], clientIp: string): Promise<Map<string, string>> {
  if (events.length === 0) return new Map();
  const column = <T>(pick: (event: EventToStore) => T) => events.map(pick);
  const { rows } = await tx.query<{ id: string; fan: string; nonce: string }>(
    `INSERT INTO engagement_events (fan, action, track_id, artist, subject, text, value, nonce, issued_at, signature, signature_hash, effective, client_ip)
     SELECT *, $13 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[],
                                $9::bigint[], $10::text[], $11::text[], $12::boolean[])
     RETURNING id::text AS id, fan, nonce`,
    [
      column((e) => e.fan),
      column((e) => e.action),
      column((e) => e.trackId.toString()),
      column((e) => e.artist),
      column((e) => e.subject),
      column((e) => e.text),
      column((e) => String(e.value)),
      column((e) => e.nonce),
      column((e) => e.issuedAt.toString()),
      column((e) => e.signature),
      column((e) => e.signatureHash),
      column((e) => e.effective),
      clientIp,
    ],
  );
  return new Map(rows.map((row) => [eventKey(row.fan, row.nonce), row.id]));
}

export type StateWrites = {
  marks: readonly { kind: string; trackId: bigint; fan: string; state: ToggleState }[];
  follows: readonly { artist: string; fan: string; state: ToggleState }[];
  /** Playlists whose row or tracks changed, in their final state (tracks are rewritten whole). */
  playlists: readonly PlaylistState[];
  comments: readonly CommentState[];
  /** Rate windows: bucket, increment, expiry (unix seconds). */
  counters: readonly { bucket: string; count: number; expiresAt: bigint }[];
};

/** Writes the state a request's events left, each table in one statement. */
export async function writeEngagementState(tx: Queryable, writes: StateWrites): Promise<void> {
  if (writes.marks.length > 0) {
    const m = writes.marks;
    await tx.query(
      `INSERT INTO track_marks (kind, track_id, fan, active, issued_at, event_id)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::boolean[], $5::bigint[], $6::bigint[])
       ON CONFLICT (kind, track_id, fan) DO UPDATE SET active = EXCLUDED.active, issued_at = EXCLUDED.issued_at, event_id = EXCLUDED.event_id`,
      [
        m.map((x) => x.kind),
        m.map((x) => x.trackId.toString()),
        m.map((x) => x.fan),
        m.map((x) => x.state.active),
        m.map((x) => x.state.issuedAt.toString()),
        m.map((x) => x.state.eventId),
      ],
    );
  }
  if (writes.follows.length > 0) {
    const f = writes.follows;
    await tx.query(
      `INSERT INTO follows (artist, fan, active, issued_at, event_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::bigint[], $5::bigint[])
       ON CONFLICT (artist, fan) DO UPDATE SET active = EXCLUDED.active, issued_at = EXCLUDED.issued_at, event_id = EXCLUDED.event_id`,
      [f.map((x) => x.artist), f.map((x) => x.fan), f.map((x) => x.state.active), f.map((x) => x.state.issuedAt.toString()), f.map((x) => x.state.eventId)],
    );
  }
  if (writes.playlists.length > 0) {
    const p = writes.playlists;
    await tx.query(
      `INSERT INTO playlists (id, owner, name, public, deleted, created_at, updated_at, event_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::boolean[], $6::bigint[], $7::bigint[], $8::bigint[])
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, public = EXCLUDED.public, deleted = EXCLUDED.deleted, updated_at = EXCLUDED.updated_at`,
      [
        p.map((x) => x.id),
        p.map((x) => x.owner),
        p.map((x) => x.name),
        p.map((x) => x.public),
        p.map((x) => x.deleted),
        p.map((x) => x.createdAt.toString()),
        p.map((x) => x.updatedAt.toString()),
        p.map((x) => x.eventId),
      ],
    );
    // Positions are dense from 0: the touched playlists' tracks are replaced whole (at most 500 rows each).
    const ids: string[] = [];
    const positions: number[] = [];
    const tracks: string[] = [];
    for (const playlist of p) {
      if (playlist.deleted) continue;
      playlist.tracks.forEach((track, position) => {
        ids.push(playlist.id);
        positions.push(position);
        tracks.push(track.toString());
      });
    }
    // Two statements: a data-modifying CTE's delete is invisible to its own statement's insert (same snapshot).
    await tx.query(`DELETE FROM playlist_tracks WHERE playlist_id = ANY($1::text[])`, [p.map((x) => x.id)]);
    if (ids.length > 0) {
      await tx.query(`INSERT INTO playlist_tracks (playlist_id, position, track_id) SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[])`, [ids, positions, tracks]);
    }
  }
  if (writes.comments.length > 0) {
    const c = writes.comments;
    await tx.query(
      `INSERT INTO comments (id, track_id, fan, body, position_seconds, issued_at, deleted, event_id)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::boolean[], $8::bigint[])
       ON CONFLICT (id) DO UPDATE SET deleted = EXCLUDED.deleted`,
      [
        c.map((x) => x.id),
        c.map((x) => x.trackId.toString()),
        c.map((x) => x.fan),
        c.map((x) => x.body),
        c.map((x) => (x.positionSeconds === null ? null : String(x.positionSeconds))),
        c.map((x) => x.issuedAt.toString()),
        c.map((x) => x.deleted),
        c.map((x) => x.eventId),
      ],
    );
  }
  if (writes.counters.length > 0) {
    const r = writes.counters;
    await tx.query(
      `INSERT INTO rate_counters (bucket, count, expires_at) SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[])
       ON CONFLICT (bucket) DO UPDATE SET count = rate_counters.count + EXCLUDED.count`,
      [r.map((x) => x.bucket), r.map((x) => x.count), r.map((x) => x.expiresAt.toString())],
    );
  }
}

// ---- Reads: the fan's own view, comments, playlists. Pages run newest first by event (or play) id; `before` is the
// previous page's last id.

export type Page = { limit: number; before?: bigint | undefined };

const BEFORE = (param: string) => `(${param}::bigint IS NULL OR event_id < ${param}::bigint)`;

export type FanMark = { trackId: string; issuedAt: string; eventId: string };

/** The tracks a fan likes (or saves) now, newest first. */
export async function listFanMarks(db: Queryable, fan: string, kind: "like" | "save", { limit, before }: Page): Promise<FanMark[]> {
  const { rows } = await db.query<{ track_id: string; issued_at: string; event_id: string }>(
    `SELECT track_id::text, issued_at::text, event_id::text FROM track_marks
      WHERE fan = $1 AND kind = $2 AND active AND ${BEFORE("$3")} ORDER BY event_id DESC LIMIT $4`,
    [fan, kind, before?.toString() ?? null, limit],
  );
  return rows.map((row) => ({ trackId: row.track_id, issuedAt: row.issued_at, eventId: row.event_id }));
}

export type FanFollow = { artist: string; issuedAt: string; eventId: string };

/** The artists a fan follows now, newest first. */
export async function listFanFollows(db: Queryable, fan: string, { limit, before }: Page): Promise<FanFollow[]> {
  const { rows } = await db.query<{ artist: string; issued_at: string; event_id: string }>(
    `SELECT artist, issued_at::text, event_id::text FROM follows WHERE fan = $1 AND active AND ${BEFORE("$2")} ORDER BY event_id DESC LIMIT $3`,
    [fan, before?.toString() ?? null, limit],
  );
  return rows.map((row) => ({ artist: row.artist, issuedAt: row.issued_at, eventId: row.event_id }));
}

export type PlaylistSummary = { id: string; owner: string; name: string; public: boolean; createdAt: string; updatedAt: string; tracks: number; eventId: string };

/** A fan's live playlists, newest first; private ones only when `includePrivate`. */
export async function listFanPlaylists(db: Queryable, owner: string, includePrivate: boolean, { limit, before }: Page): Promise<PlaylistSummary[]> {
  const { rows } = await db.query<{ id: string; owner: string; name: string; public: boolean; created_at: string; updated_at: string; tracks: number; event_id: string }>(
    `SELECT p.id, p.owner, p.name, p.public, p.created_at::text, p.updated_at::text, p.event_id::text,
            (SELECT count(*)::integer FROM playlist_tracks t WHERE t.playlist_id = p.id) AS tracks
       FROM playlists p
      WHERE p.owner = $1 AND NOT p.deleted AND ($2 OR p.public) AND ${BEFORE("$3")}
      ORDER BY p.event_id DESC LIMIT $4`,
    [owner, includePrivate, before?.toString() ?? null, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    owner: row.owner,
    name: row.name,
    public: row.public,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tracks: Number(row.tracks),
    eventId: row.event_id,
  }));
}

/** One playlist with its tracks, deleted ones included (the caller decides what to show). */
export async function findPlaylist(db: Queryable, id: string): Promise<PlaylistState | undefined> {
  return (await readPlaylists(db, [id]))[0];
}

export type TrackComment = { id: string; fan: string; body: string; positionSeconds: number | null; issuedAt: string; eventId: string };

/** A track's comments that are not deleted, newest first. */
export async function listTrackComments(db: Queryable, trackId: bigint, { limit, before }: Page): Promise<TrackComment[]> {
  const { rows } = await db.query<CommentRow>(
    `SELECT ${COMMENT_COLUMNS} FROM comments WHERE track_id = $1 AND NOT deleted AND ${BEFORE("$2")} ORDER BY event_id DESC LIMIT $3`,
    [trackId.toString(), before?.toString() ?? null, limit],
  );
  return rows.map((row) => {
    const comment = commentOf(row);
    return { id: comment.id, fan: comment.fan, body: comment.body, positionSeconds: comment.positionSeconds, issuedAt: comment.issuedAt.toString(), eventId: comment.eventId };
  });
}

export type HistoryEntry = {
  playId: string;
  trackId: string;
  startedAt: string;
  durationSeconds: number;
  /** How the play ended, when the client reported it (play_complete / play_skip), else null. */
  outcome: { action: "play_complete" | "play_skip"; source: string; seconds: number; sessionId: string; issuedAt: string } | null;
};

/** How long after a play's start its play_complete / play_skip may be signed and still belong to it. */
export const OUTCOME_WINDOW_SECONDS = 86_400;

/**
 * A fan's plays, newest first, each with the first play_complete / play_skip the fan signed for the same track at
 * or after the play's start, within OUTCOME_WINDOW_SECONDS and before the fan's next play of that track.
 */
export async function listFanHistory(db: Queryable, fan: string, { limit, before }: Page): Promise<HistoryEntry[]> {
  const { rows } = await db.query<{
    id: string;
    track_id: string;
    started_at: string;
    duration_seconds: string;
    action: string | null;
    text: string | null;
    value: string | null;
    subject: string | null;
    issued_at: string | null;
  }>(
    `SELECT p.id::text, p.track_id::text, p.started_at::text, p.duration_seconds::text, o.action, o.text, o.value::text, o.subject, o.issued_at::text
       FROM plays p
       LEFT JOIN LATERAL (
         SELECT e.action, e.text, e.value, e.subject, e.issued_at FROM engagement_events e
          WHERE e.fan = p.listener AND e.track_id = p.track_id AND e.action IN ('play_complete', 'play_skip')
            AND e.issued_at >= p.started_at AND e.issued_at < p.started_at + ${OUTCOME_WINDOW_SECONDS}
            AND e.issued_at < COALESCE((SELECT min(n.started_at) FROM plays n
                                         WHERE n.listener = p.listener AND n.track_id = p.track_id AND n.started_at > p.started_at), ${"9223372036854775807"})
          ORDER BY e.issued_at, e.id LIMIT 1
       ) o ON true
      WHERE p.listener = $1 AND ($2::bigint IS NULL OR p.id < $2::bigint)
      ORDER BY p.id DESC LIMIT $3`,
    [fan, before?.toString() ?? null, limit],
  );
  return rows.map((row) => ({
    playId: row.id,
    trackId: row.track_id,
    startedAt: row.started_at,
    durationSeconds: Number(row.duration_seconds),
    outcome:
      row.action !== "play_complete" && row.action !== "play_skip"
        ? null
        : {
            action: row.action,
            source: row.text ?? "",
            seconds: Number(row.value),
            sessionId: row.subject ?? "",
            issuedAt: row.issued_at ?? "",
          },
  }));
}

/** Row counts of the engagement tables (tests and the bad-input corpus compare them before and after). */
export async function countEngagementRows(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ name: string; n: number }>(
    `SELECT 'engagement_events' AS name, count(*)::integer AS n FROM engagement_events
     UNION ALL SELECT 'track_marks', count(*)::integer FROM track_marks
     UNION ALL SELECT 'follows', count(*)::integer FROM follows
     UNION ALL SELECT 'playlists', count(*)::integer FROM playlists
     UNION ALL SELECT 'playlist_tracks', count(*)::integer FROM playlist_tracks
     UNION ALL SELECT 'comments', count(*)::integer FROM comments
     UNION ALL SELECT 'rate_counters', count(*)::integer FROM rate_counters`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, Number(row.n)]));
}
