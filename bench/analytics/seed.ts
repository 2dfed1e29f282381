/**
 * A year of activity for the analytics benchmark, generated inside the database (INSERT … SELECT over
 * generate_series): plays and effective engagement events as ingestion stores them, with placeholder signatures
 * (signature checks are not what this benchmark measures; bench:relayer measures them). Popularity is skewed the way
 * catalogues are (a track's share falls off as u³ of a uniform u: a few tracks take most plays), listeners too.
 */
import type { Database } from "../../relayer/src/repo/db/database.js";

export type SeedParameters = {
  db: Database;
  tracks: number;
  artists: number;
  listeners: number;
  plays: number;
  events: number;
  /** Unix seconds: activity is spread over the `spanSeconds` (default a year) before it. */
  now: number;
  spanSeconds?: number;
  /** Added to the generated nonces' counter, so a second seed into the same tables stays unique. */
  firstSerial?: number;
  /** Rows per INSERT statement. */
  step?: number;
};

const YEAR = 365 * 86_400;

/** An address from an integer: 0x + 40 hex digits. */
const address = (expression: string) => `'0x' || lpad(to_hex(${expression}), 40, '0')`;
/** A skewed pick in 1..n: 1 + floor(n · random()³). */
const skewed = (n: number) => `(1 + floor(${n} * power(random(), 3)))::bigint`;

/** The artist of track t: artists own tracks round-robin (track t belongs to artist t mod artists). */
export const artistOf = (trackId: number, artists: number) => `0x${(0xa000_0000 + (trackId % artists)).toString(16).padStart(40, "0")}`;

export async function seedYear({ db, tracks, artists, listeners, plays, events, now, spanSeconds = YEAR, firstSerial = 0, step = 50_000 }: SeedParameters): Promise<void> {
  const artistSql = (track: string) => address(`${0xa000_0000} + (${track} % ${artists})`);
  // The creators cache, as the rollup would fill it from MusicNFT.creatorOf.
  if (firstSerial === 0) await db.query(`INSERT INTO stats_track_creators (track_id, creator) SELECT t, ${artistSql("t")} FROM generate_series(1, ${tracks}) t ON CONFLICT DO NOTHING`);
  for (let from = 0; from < plays; from += step) {
    const to = Math.min(plays, from + step) - 1;
    await db.query(
      `INSERT INTO plays (listener, track_id, started_at, duration_seconds, nonce, signature, signature_hash)
       SELECT ${address(`${0x1000_0000} + ${skewed(listeners)}`)}, ${skewed(tracks)}, ${now} - ${spanSeconds} + floor((i - ${firstSerial})::float8 * ${spanSeconds} / ${plays} - 600 * random())::bigint, 30 + (i % 200),
              '0x' || lpad(to_hex(i), 64, '0'), '0xbench', '0xbench'
         FROM generate_series(${firstSerial + from}, ${firstSerial + to}) i`,
    );
  }
  // A plausible mix: likes and completed plays most, then skips, saves, shares (by channel), follows, comments, downloads.
  const mix = `CASE WHEN r < 0.30 THEN 'like' WHEN r < 0.55 THEN 'play_complete' WHEN r < 0.70 THEN 'play_skip' WHEN r < 0.80 THEN 'save'
    WHEN r < 0.88 THEN 'share' WHEN r < 0.93 THEN 'follow' WHEN r < 0.96 THEN 'comment' WHEN r < 0.98 THEN 'download' WHEN r < 0.99 THEN 'unlike' ELSE 'unfollow' END`;
  for (let from = 0; from < events; from += step) {
    const to = Math.min(events, from + step) - 1;
    await db.query(
      `INSERT INTO engagement_events (fan, action, track_id, artist, subject, text, value, nonce, issued_at, signature, signature_hash, effective)
       SELECT fan, action,
              CASE WHEN action IN ('follow', 'unfollow') THEN 0 ELSE track END,
              CASE WHEN action IN ('follow', 'unfollow') THEN ${artistSql("track")} ELSE '0x0000000000000000000000000000000000000000' END,
              '0x' || lpad(to_hex(i), 64, '0'),
              CASE action WHEN 'share' THEN (ARRAY['link', 'x', 'farcaster', 'embed', 'other'])[1 + (i % 5)]
                          WHEN 'comment' THEN 'great track'
                          WHEN 'play_complete' THEN (ARRAY['search', 'playlist', 'profile', 'radio', 'share', 'other'])[1 + (i % 6)]
                          WHEN 'play_skip' THEN (ARRAY['search', 'playlist', 'profile', 'radio', 'share', 'other'])[1 + (i % 6)]
                          ELSE '' END,
              0, '0x' || lpad(to_hex(i), 64, '0'), issued_at, '0xbench', '0xbench', true
         FROM (SELECT i, random() AS r, ${address(`${0x1000_0000} + ${skewed(listeners)}`)} AS fan, ${skewed(tracks)} AS track,
                      ${now} - ${spanSeconds} + floor((i - ${firstSerial})::float8 * ${spanSeconds} / ${events} - 600 * random())::bigint AS issued_at FROM generate_series(${firstSerial + from}, ${firstSerial + to}) i) g,
              LATERAL (SELECT ${mix} AS action) a`,
    );
  }
}

/**
 * Files every seeded play and effective event under one committed batch, as a relayer that has run for a year would
 * have them: otherwise the relayer under test would spend the load sealing, storing and committing 200,000 plays.
 */
export async function markCommitted(db: Database): Promise<void> {
  await db.query(
    `INSERT INTO batches (id, status, play_count, root, deltas, sealed_at, cid, stored_at, tx_hash, submitted_at, committed_at)
     VALUES (1, 'committed', (SELECT count(*) FROM plays), '0x00', '0x', now(), 'bench', now(), '0x00', now(), now())`,
  );
  await db.query(`UPDATE plays SET batch_id = 1 WHERE batch_id IS NULL`);
  await db.query(`UPDATE engagement_events SET batch_id = 1 WHERE batch_id IS NULL AND effective`);
}
