import { MigrationError } from "../../errors.js";
import type { Database } from "./database.js";

export type Migration = {
  /** Strictly increasing; a migration never changes once released, a change is a new version. */
  version: number;
  name: string;
  /** One statement per entry: PGlite's extended protocol runs a single statement per query. */
  statements: readonly string[];
};

/**
 * The schema, version by version. Hex values (addresses, hashes, signatures) are lowercase `0x…` text, the
 * form viem produces; chain integers that fit 63 bits are `bigint`. Batch ids are the on-chain batch ids.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "plays, batches, rate counters",
    statements: [
      // A batch walks open → sealed → stored → submitted → committed; each step records what it produced and when,
      // so the batcher can resume a batch at its last recorded step after a crash.
      `CREATE TABLE batches (
        id bigint PRIMARY KEY,
        status text NOT NULL DEFAULT 'open'
          CHECK (status IN ('open', 'sealed', 'stored', 'submitted', 'committed')),
        play_count integer NOT NULL DEFAULT 0,
        track_count integer NOT NULL DEFAULT 0,
        root text,
        deltas text,
        previous_cid text,
        cid text,
        piece_cid text,
        snapshot_size integer,
        tx_hash text,
        tx_nonce bigint,
        block_number bigint,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        opened_at timestamptz NOT NULL DEFAULT now(),
        sealed_at timestamptz,
        stored_at timestamptz,
        submitted_at timestamptz,
        committed_at timestamptz,
        CONSTRAINT batches_sealed_has_root
          CHECK (status = 'open' OR (root IS NOT NULL AND deltas IS NOT NULL AND sealed_at IS NOT NULL)),
        CONSTRAINT batches_stored_has_cid
          CHECK (status IN ('open', 'sealed') OR (cid IS NOT NULL AND stored_at IS NOT NULL)),
        CONSTRAINT batches_submitted_has_tx
          CHECK (status NOT IN ('submitted', 'committed') OR (tx_hash IS NOT NULL AND submitted_at IS NOT NULL)),
        CONSTRAINT batches_committed_has_time CHECK (status <> 'committed' OR committed_at IS NOT NULL)
      )`,
      // At most one batch collects plays at a time.
      `CREATE UNIQUE INDEX batches_single_open ON batches (status) WHERE status = 'open'`,
      `CREATE INDEX batches_unfinished ON batches (id) WHERE status <> 'committed'`,
      // One row per accepted play, written before the API answers; UNIQUE (listener, nonce) is the last line
      // against a play counted twice.
      `CREATE TABLE plays (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        listener text NOT NULL,
        track_id bigint NOT NULL,
        started_at bigint NOT NULL,
        duration_seconds bigint NOT NULL,
        nonce text NOT NULL,
        signature text NOT NULL,
        signature_hash text NOT NULL,
        client_ip text,
        received_at timestamptz NOT NULL DEFAULT now(),
        batch_id bigint REFERENCES batches (id),
        leaf_index integer,
        CONSTRAINT plays_listener_nonce UNIQUE (listener, nonce)
      )`,
      `CREATE INDEX plays_unbatched ON plays (id) WHERE batch_id IS NULL`,
      `CREATE INDEX plays_batch ON plays (batch_id, id)`,
      `CREATE INDEX plays_track ON plays (track_id, batch_id)`,
      // Fixed-window counters; a bucket key names its scope and window, expires_at lets old windows be pruned.
      `CREATE TABLE rate_counters (
        bucket text PRIMARY KEY,
        count integer NOT NULL,
        expires_at bigint NOT NULL
      )`,
      `CREATE INDEX rate_counters_expiry ON rate_counters (expires_at)`,
    ],
  },
  {
    version: 2,
    name: "batch evidence columns, creator milestones",
    statements: [
      // What the seal step computed, so later steps (and a restarted process) rebuild the snapshot without the chain:
      // per-track deltas with each track's creator, and per-creator totals, as canonical JSON.
      `ALTER TABLE batches ADD COLUMN tracks text`,
      `ALTER TABLE batches ADD COLUMN creators text`,
      // One row per (batch, creator) whose committed plays crossed a multiple of MILESTONE_PLAYS. Written in the same
      // transaction that marks the batch committed, so a crash can never lose one; the tx columns make a restart
      // wait for (or resend with the same nonce) the update instead of sending it twice.
      `CREATE TABLE creator_milestones (
        batch_id bigint NOT NULL REFERENCES batches (id),
        creator text NOT NULL,
        plays text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'submitted', 'confirmed')),
        tx_hash text,
        tx_nonce bigint,
        block_number bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        confirmed_at timestamptz,
        PRIMARY KEY (batch_id, creator),
        CONSTRAINT creator_milestones_submitted_has_tx CHECK (status = 'pending' OR tx_hash IS NOT NULL)
      )`,
      `CREATE INDEX creator_milestones_open ON creator_milestones (batch_id) WHERE status <> 'confirmed'`,
    ],
  },
  {
    version: 3,
    name: "stream sessions and settlements",
    statements: [
      // One row per pay-per-second session, holding its latest acknowledged voucher: written before the ack, so what
      // a listener was told is stored is what settlement finds after any crash. Amounts are uint256 as numeric.
      // `settled` is what the vault has paid this session (from its StreamSettled events); `settled_voucher` the
      // cumulative amount of the newest voucher a mined settlement carried, so a voucher the vault could only pay in
      // part (the balance ran short) is not sent again until a newer one arrives.
      `CREATE TABLE stream_sessions (
        session_id text PRIMARY KEY,
        listener text NOT NULL,
        artist text NOT NULL,
        track_id numeric(78, 0),
        rate_per_second numeric(78, 0) NOT NULL CHECK (rate_per_second > 0),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        close_reason text,
        cumulative numeric(78, 0) NOT NULL DEFAULT 0,
        deadline bigint,
        signature text,
        voucher_at timestamptz,
        settled numeric(78, 0) NOT NULL DEFAULT 0,
        settled_voucher numeric(78, 0) NOT NULL DEFAULT 0,
        settling_id bigint,
        opened_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        CONSTRAINT stream_sessions_voucher_signed CHECK (cumulative = 0 OR (signature IS NOT NULL AND deadline IS NOT NULL))
      )`,
      `CREATE INDEX stream_sessions_unsettled ON stream_sessions (artist, session_id) WHERE cumulative > settled_voucher`,
      `CREATE INDEX stream_sessions_listener ON stream_sessions (listener)`,
      `CREATE INDEX stream_sessions_artist ON stream_sessions (artist)`,
      `CREATE INDEX stream_sessions_open ON stream_sessions (opened_at) WHERE status = 'open'`,
      // A settlement walks sealed → submitted → settled (or failed, when the vault refuses it as a whole); each step is
      // recorded, and the vouchers are frozen at seal time so a resend after a crash is the same call.
      `CREATE TABLE stream_settlements (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        status text NOT NULL DEFAULT 'sealed' CHECK (status IN ('sealed', 'submitted', 'settled', 'failed')),
        voucher_count integer NOT NULL,
        vouchers text NOT NULL,
        paid numeric(78, 0),
        tx_hash text,
        tx_nonce bigint,
        block_number bigint,
        gas_used bigint,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        sealed_at timestamptz NOT NULL DEFAULT now(),
        submitted_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT stream_settlements_submitted_has_tx CHECK (status IN ('sealed', 'failed') OR tx_hash IS NOT NULL)
      )`,
      `CREATE INDEX stream_settlements_unfinished ON stream_settlements (id) WHERE status IN ('sealed', 'submitted')`,
    ],
  },
  {
    version: 4,
    name: "one index for unbatched plays",
    statements: [
      // plays_batch (batch_id, id) already finds the unbatched plays (batch_id IS NULL) in id order; a second index
      // on them cost every accepted play one more index entry, on the ingestion hot path.
      `DROP INDEX IF EXISTS plays_unbatched`,
    ],
  },
  {
    version: 5,
    name: "voucher writes as heap-only updates",
    statements: [
      // Every acknowledged voucher updates its session row. The old unsettled index named `cumulative` in its
      // predicate, so each voucher also wrote a new entry into every index of the table (no HOT update), and
      // nothing vacuums PGlite. `unsettled` changes only on a session's first voucher after a settlement; free room
      // in each page (fillfactor) lets the new row version stay in its page, so a voucher touches no index at all.
      `ALTER TABLE stream_sessions ADD COLUMN unsettled boolean GENERATED ALWAYS AS (cumulative > settled_voucher) STORED`,
      `DROP INDEX stream_sessions_unsettled`,
      `CREATE INDEX stream_sessions_unsettled ON stream_sessions (artist, session_id) WHERE unsettled`,
      `ALTER TABLE stream_sessions SET (fillfactor = 40)`,
    ],
  },
  {
    version: 6,
    name: "engagement events and their state",
    statements: [
      // Every accepted engagement event (docs/engagement.md), signed fields as sent (lowercase hex), written before the
      // API answers. `effective` says whether it changed state (a like of a liked track is stored, not counted);
      // `batch_id` is set when a batch is sealed, whose snapshot then carries the batch's effective events.
      `CREATE TABLE engagement_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        fan text NOT NULL,
        action text NOT NULL,
        track_id bigint NOT NULL DEFAULT 0,
        artist text NOT NULL,
        subject text NOT NULL,
        text text NOT NULL DEFAULT '',
        value bigint NOT NULL DEFAULT 0,
        nonce text NOT NULL,
        issued_at bigint NOT NULL,
        signature text NOT NULL,
        signature_hash text NOT NULL,
        client_ip text,
        received_at timestamptz NOT NULL DEFAULT now(),
        effective boolean NOT NULL,
        batch_id bigint REFERENCES batches (id),
        CONSTRAINT engagement_events_fan_nonce UNIQUE (fan, nonce)
      )`,
      `CREATE INDEX engagement_events_batch ON engagement_events (batch_id, id)`,
      `CREATE INDEX engagement_events_fan ON engagement_events (fan, id)`,
      // A fan's listening history finds how each play ended (play_complete / play_skip) by track and time.
      `CREATE INDEX engagement_events_outcomes ON engagement_events (fan, track_id, issued_at) WHERE action IN ('play_complete', 'play_skip')`,
      // Current like/save state per (kind, track, fan); issued_at is the toggle that set it (older toggles change nothing).
      `CREATE TABLE track_marks (
        kind text NOT NULL CHECK (kind IN ('like', 'save')),
        track_id bigint NOT NULL,
        fan text NOT NULL,
        active boolean NOT NULL,
        issued_at bigint NOT NULL,
        event_id bigint NOT NULL,
        PRIMARY KEY (kind, track_id, fan)
      )`,
      // The fan's own view lists marks, follows, playlists and comments newest first by the event that made them,
      // with that event's id as the page cursor.
      `CREATE INDEX track_marks_fan ON track_marks (fan, kind, event_id) WHERE active`,
      `CREATE TABLE follows (
        artist text NOT NULL,
        fan text NOT NULL,
        active boolean NOT NULL,
        issued_at bigint NOT NULL,
        event_id bigint NOT NULL,
        PRIMARY KEY (artist, fan)
      )`,
      `CREATE INDEX follows_fan ON follows (fan, event_id) WHERE active`,
      `CREATE TABLE playlists (
        id text PRIMARY KEY,
        owner text NOT NULL,
        name text NOT NULL,
        public boolean NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        event_id bigint NOT NULL
      )`,
      `CREATE INDEX playlists_owner ON playlists (owner, event_id) WHERE NOT deleted`,
      // Positions are dense from 0 in each playlist.
      `CREATE TABLE playlist_tracks (
        playlist_id text NOT NULL REFERENCES playlists (id),
        position integer NOT NULL,
        track_id bigint NOT NULL,
        PRIMARY KEY (playlist_id, position)
      )`,
      `CREATE TABLE comments (
        id text PRIMARY KEY,
        track_id bigint NOT NULL,
        fan text NOT NULL,
        body text NOT NULL,
        position_seconds bigint,
        issued_at bigint NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        event_id bigint NOT NULL
      )`,
      `CREATE INDEX comments_track ON comments (track_id, event_id) WHERE NOT deleted`,
    ],
  },
  {
    version: 7,
    name: "statistics: counters, time buckets, listener sets, rollup cursor",
    statements: [
      // Everything below is derived from plays and effective engagement_events by one cursor-driven rollup
      // (engagement/rollup.ts): counters, buckets, listener sets and the cursor move in one transaction, so after
      // any crash they equal a recount of the raw rows. A scope is a track (kind 't', key = decimal id) or an
      // artist (kind 'a', key = lowercase address).
      // The rollup's place in each raw table: rows with id <= rolled_to are counted; safe_to is the highest id
      // below which no insert can still commit (read under a SHARE lock, see rollup.ts).
      `CREATE TABLE stats_cursors (
        source text PRIMARY KEY CHECK (source IN ('plays', 'engagement')),
        rolled_to bigint NOT NULL DEFAULT 0,
        safe_to bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `INSERT INTO stats_cursors (source) VALUES ('plays'), ('engagement')`,
      // Plays carry only a track id: each track's creator (MusicNFT.creatorOf, which never changes), cached the
      // first time the rollup meets the track.
      `CREATE TABLE stats_track_creators (
        track_id bigint PRIMARY KEY,
        creator text NOT NULL
      )`,
      // All-time counters, one row per scope: read in O(1). A track row names its creator (its artist's top tracks).
      `CREATE TABLE stats_totals (
        kind char(1) NOT NULL CHECK (kind IN ('t', 'a')),
        key text NOT NULL,
        creator text,
        plays bigint NOT NULL DEFAULT 0,
        listeners bigint NOT NULL DEFAULT 0,
        likes bigint NOT NULL DEFAULT 0,
        saves bigint NOT NULL DEFAULT 0,
        shares bigint NOT NULL DEFAULT 0,
        shares_link bigint NOT NULL DEFAULT 0,
        shares_x bigint NOT NULL DEFAULT 0,
        shares_farcaster bigint NOT NULL DEFAULT 0,
        shares_embed bigint NOT NULL DEFAULT 0,
        shares_other bigint NOT NULL DEFAULT 0,
        downloads bigint NOT NULL DEFAULT 0,
        comments bigint NOT NULL DEFAULT 0,
        completes bigint NOT NULL DEFAULT 0,
        skips bigint NOT NULL DEFAULT 0,
        followers bigint NOT NULL DEFAULT 0,
        -- Raised by every rollup chunk that touches the scope: a cached series of it is current while this is unchanged.
        version bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key)
      )`,
      `CREATE INDEX stats_totals_creator ON stats_totals (creator, plays DESC) WHERE kind = 't'`,
      // Net change per time bucket (UTC; week = ISO week from Monday; bucket = its start in unix seconds), for the
      // grains hour, day, week, month, year. listeners = distinct listeners within the bucket, kept for hours and
      // days (weeks and more read it from the day sets of stats_listeners).
      `CREATE TABLE stats_buckets (
        kind char(1) NOT NULL,
        key text NOT NULL,
        grain text NOT NULL CHECK (grain IN ('hour', 'day', 'week', 'month', 'year')),
        bucket bigint NOT NULL,
        plays bigint NOT NULL DEFAULT 0,
        listeners bigint NOT NULL DEFAULT 0,
        likes bigint NOT NULL DEFAULT 0,
        saves bigint NOT NULL DEFAULT 0,
        shares bigint NOT NULL DEFAULT 0,
        downloads bigint NOT NULL DEFAULT 0,
        comments bigint NOT NULL DEFAULT 0,
        completes bigint NOT NULL DEFAULT 0,
        skips bigint NOT NULL DEFAULT 0,
        followers bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key, grain, bucket)
      )`,
      // Top tracks / artists over a window read one grain's buckets of every scope.
      `CREATE INDEX stats_buckets_window ON stats_buckets (kind, grain, bucket)`,
      // Exact listener sets: who played the scope in each hour, each day, and ever (grain 'all', bucket 0). A
      // listener's first row in a set is what adds 1 to that bucket's (or the total's) listeners. Weeks, months and
      // years are whole days, so their distinct listeners come from the day sets when read; unique listeners over a
      // window are the distinct listeners of the window's hour or day sets.
      `CREATE TABLE stats_listeners (
        kind char(1) NOT NULL,
        key text NOT NULL,
        grain text NOT NULL CHECK (grain IN ('hour', 'day', 'all')),
        bucket bigint NOT NULL,
        listener text NOT NULL,
        PRIMARY KEY (kind, key, grain, bucket, listener)
      )`,
      // How plays ended, by the source the client reported (play_complete / play_skip).
      `CREATE TABLE stats_sources (
        kind char(1) NOT NULL,
        key text NOT NULL,
        source text NOT NULL,
        completes bigint NOT NULL DEFAULT 0,
        skips bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key, source)
      )`,
      // An artist's fans: plays of the artist's tracks and net engagement actions (likes, saves, shares, downloads,
      // comments, follows, completed plays; undoing one subtracts it). score = plays + actions.
      `CREATE TABLE stats_fans (
        artist text NOT NULL,
        fan text NOT NULL,
        plays bigint NOT NULL DEFAULT 0,
        actions bigint NOT NULL DEFAULT 0,
        score bigint GENERATED ALWAYS AS (plays + actions) STORED,
        PRIMARY KEY (artist, fan)
      )`,
      `CREATE INDEX stats_fans_top ON stats_fans (artist, score DESC, fan)`,
    ],
  },
  {
    version: 8,
    name: "engagement in batches, follower and revenue milestones",
    statements: [
      // The seal step takes the effective engagement events no batch holds yet, oldest first; only they are looked up,
      // so the events that changed nothing (stored, never batched) do not slow the scan as they pile up.
      `CREATE INDEX engagement_events_unbatched ON engagement_events (id) WHERE batch_id IS NULL AND effective`,
      // How many engagement events a batch sealed, and the follower deltas they make per artist (JSON, from
      // computeEngagementDeltas at seal time): the commit adds them to the committed follower totals.
      `ALTER TABLE batches ADD COLUMN engagement_count integer NOT NULL DEFAULT 0`,
      `ALTER TABLE batches ADD COLUMN follower_deltas text NOT NULL DEFAULT '[]'`,
      // A milestone now reports all three totals, and says which thresholds it crossed (comma-separated, of
      // plays, followers, revenue). Rows written before this migration crossed plays only.
      `ALTER TABLE creator_milestones ADD COLUMN followers text NOT NULL DEFAULT '0'`,
      `ALTER TABLE creator_milestones ADD COLUMN revenue text NOT NULL DEFAULT '0'`,
      `ALTER TABLE creator_milestones ADD COLUMN reasons text NOT NULL DEFAULT 'plays'`,
      // Each creator's totals as of the newest commit that touched them, written in the commit's transaction:
      // followers = the sum of committed follow deltas, revenue = USDC settled to the creator by the vault plus
      // USDC deposited to the creator's coin (docs/engagement.md, "Evidence"). followers_peak is the highest committed
      // follower total, so a creator hovering around a multiple (unfollow, follow) fires its milestone once.
      `CREATE TABLE creator_totals (
        creator text PRIMARY KEY,
        followers bigint NOT NULL DEFAULT 0,
        followers_peak bigint NOT NULL DEFAULT 0,
        revenue numeric(78, 0) NOT NULL DEFAULT 0,
        batch_id bigint NOT NULL REFERENCES batches (id)
      )`,
      // The last block whose revenue events (StreamSettled, RevenueDeposited) are in creator_totals: the block of the
      // newest commit. One row; absent until the first commit after this migration, which scans from the deployment.
      `CREATE TABLE revenue_scan (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        block bigint NOT NULL
      )`,
    ],
  },
  {
    version: 9,
    name: "holder revenue distributions",
    statements: [
      // One row per (creator, distribution period): the unique key is what makes the quarterly distribution happen
      // once per period whatever crashes, retries or second processes do. recorded → submitted → distributed, or
      // skipped when the vault refused (nothing accrued, or someone else distributed the period first).
      `CREATE TABLE holder_distributions (
        id bigserial PRIMARY KEY,
        creator text NOT NULL,
        period bigint NOT NULL,
        status text NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'submitted', 'distributed', 'skipped')),
        amount numeric(78, 0),
        coin text,
        tx_hash text,
        tx_nonce bigint,
        block_number bigint,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (creator, period),
        CONSTRAINT holder_distributions_submitted_has_tx CHECK (status <> 'submitted' OR tx_hash IS NOT NULL)
      )`,
      `CREATE INDEX holder_distributions_open ON holder_distributions (id) WHERE status IN ('recorded', 'submitted')`,
    ],
  },
  {
    version: 10,
    name: "statistics: listener recency, for unique listeners over a window that ends now; day series index",
    statements: [
      // The hour of a listener's latest play in the scope, on its 'all' row (0 on the hour and day rows).
      `ALTER TABLE stats_listeners ADD COLUMN last_hour bigint NOT NULL DEFAULT 0`,
      `UPDATE stats_listeners a SET last_hour = h.last_hour
         FROM (SELECT kind, key, listener, max(bucket) AS last_hour FROM stats_listeners WHERE grain = 'hour' GROUP BY kind, key, listener) h
        WHERE a.grain = 'all' AND a.bucket = 0 AND a.kind = h.kind AND a.key = h.key AND a.listener = h.listener`,
      // How many of a scope's listeners played it last in each hour and each day. The distinct listeners since a
      // bucket are the sum of the rows from that bucket on: a few hundred rows, where counting the distinct members
      // of a year of day sets read and sorted every listener-day of the scope.
      `CREATE TABLE stats_recency (
        kind char(1) NOT NULL,
        key text NOT NULL,
        grain text NOT NULL CHECK (grain IN ('hour', 'day')),
        bucket bigint NOT NULL,
        listeners bigint NOT NULL,
        -- The count rides in the key's index: a window's sum is an index-only scan of adjacent entries.
        PRIMARY KEY (kind, key, grain, bucket) INCLUDE (listeners)
      )`,
      // A scope's day buckets in one stretch of index, counters included: a one-year daily series is an index-only
      // scan of a few pages, where the heap holds those rows scattered over as many pages as days (they were written
      // a day apart, between every other scope's).
      `CREATE INDEX stats_buckets_day_series ON stats_buckets (kind, key, bucket)
         INCLUDE (plays, listeners, likes, saves, shares, downloads, comments, completes, skips, followers) WHERE grain = 'day'`,
      `INSERT INTO stats_recency (kind, key, grain, bucket, listeners)
       SELECT kind, key, 'hour', last_hour, count(*) FROM stats_listeners WHERE grain = 'all' GROUP BY kind, key, last_hour`,
      `INSERT INTO stats_recency (kind, key, grain, bucket, listeners)
       SELECT kind, key, 'day', last_hour - last_hour % 86400, count(*) FROM stats_listeners WHERE grain = 'all' GROUP BY kind, key, last_hour - last_hour % 86400`,
    ],
  },  {
    version: 11,
    name: "statistics: how plays ended by source, per hour and per day",
    statements: [
      // stats_sources by time bucket: a window's sources are the sum of its hours (interval hour) or days.
      `CREATE TABLE stats_source_buckets (
        kind char(1) NOT NULL,
        key text NOT NULL,
        grain text NOT NULL CHECK (grain IN ('hour', 'day')),
        bucket bigint NOT NULL,
        source text NOT NULL,
        completes bigint NOT NULL DEFAULT 0,
        skips bigint NOT NULL DEFAULT 0,
        -- The counts ride in the key's index: a year of a scope's days is an index-only scan of adjacent entries.
        PRIMARY KEY (kind, key, grain, bucket, source) INCLUDE (completes, skips)
      )`,
      // The events already rolled up (up to the engagement cursor), bucketed as the rollup buckets them.
      ...(["hour", "day"] as const).map(
        (grain) => `INSERT INTO stats_source_buckets (kind, key, grain, bucket, source, completes, skips)
         SELECT s.kind, s.key, '${grain}', e.issued_at - e.issued_at % ${grain === "hour" ? 3600 : 86400}, e.text,
                count(*) FILTER (WHERE e.action = 'play_complete'), count(*) FILTER (WHERE e.action = 'play_skip')
           FROM engagement_events e
           JOIN stats_track_creators c ON c.track_id = e.track_id
           CROSS JOIN LATERAL (VALUES ('t', e.track_id::text), ('a', c.creator)) AS s(kind, key)
          WHERE e.effective AND e.action IN ('play_complete', 'play_skip')
            AND e.id <= (SELECT rolled_to FROM stats_cursors WHERE source = 'engagement')
          GROUP BY 1, 2, 4, 5`,
      ),
    ],
  },

];

export type MigrateParameters = { db: Database; migrations?: readonly Migration[] };
export type MigrateReturnType = { applied: number[]; version: number };

/**
 * Brings the schema to the newest version, in one transaction under an advisory lock: processes that start
 * together on one PostgreSQL queue on the lock, and the later ones find nothing left to apply.
 * DDL is transactional in PostgreSQL, so a failed migration leaves the previous version intact.
 */
export async function migrate({ db, migrations = MIGRATIONS }: MigrateParameters): Promise<MigrateReturnType> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('beatstream.relayer.migrations'))`);
    // Created under the lock: CREATE TABLE IF NOT EXISTS alone races when two servers run it at once.
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ version: number }>(`SELECT version FROM schema_migrations`);
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      try {
        for (const statement of migration.statements) await tx.query(statement);
      } catch (error) {
        throw new MigrationError(migration.version, error);
      }
      await tx.query(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return { applied, version: Math.max(0, ...done, ...applied) };
  });
}
