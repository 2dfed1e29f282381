import type { Database, Queryable } from "../repo/db/database.js";
import {
  analyzeStats,
  addBucketDeltas,
  addFanDeltas,
  addListeners,
  addSourceBucketDeltas,
  addSourceDeltas,
  addTotalDeltas,
  BUCKET_METRICS,
  raiseSafeHorizon,
  readCursors,
  readEventsAfter,
  readPlaysAfter,
  readTrackCreators,
  saveTrackCreators,
  SHARE_CHANNELS,
  TOTAL_METRICS,
  touchRecency,
  writeCursors,
  type BucketDelta,
  type BucketMetric,
  type FanDelta,
  type ListenerEntry,
  type RecencyEntry,
  type RolledEvent,
  type RolledPlay,
  type ScopeKind,
  type SourceBucketDelta,
  type SourceDelta,
  type TotalDelta,
  type TotalMetric,
} from "../repo/stats.js";
import { bucketStart, GRAINS } from "./windows.js";

/**
 * The one statistics rollup. It reads plays and effective engagement events past its cursor (in id order, in chunks)
 * and applies each chunk to every counter, every bucket grain, the listener sets, sources and fans, and moves the
 * cursor, in ONE transaction: incremental (the raw tables are read once, by primary key), and exactly once across
 * crashes (a chunk's effects and its cursor commit together or not at all). Counting rules: docs/engagement.md.
 */

export type RollupParameters = {
  db: Database;
  /** MusicNFT.creatorOf, cached by the caller; asked once per track, the answer is kept in stats_track_creators. */
  creatorOf(trackId: bigint): Promise<string>;
  /** Rows of each raw table per transaction (default 2,000). */
  chunkSize?: number;
  /** TEST ONLY: awaited inside the transaction after every write, before COMMIT (the crash test kills the process here). */
  beforeCommit?: (chunk: RollupChunk) => Promise<void>;
};

export type RollupChunk = { plays: number; events: number; playsTo: bigint; eventsTo: bigint };

export type RollupReturnType = {
  chunks: number;
  plays: number;
  events: number;
  /** Whether rows the cursor could already reach are still waiting (the run stopped at `maxChunks`). */
  behind: boolean;
  /** Whether the safe horizon could be raised this run (false: ingestion held the tables past the lock timeout). */
  horizonRaised: boolean;
};

/** Track-level actions and what an effective one adds (docs/engagement.md, "Counting rules"); `fan` the artist's fan actions. */
const TRACK_EFFECTS: Record<string, { metric?: TotalMetric; by: number; fan: number }> = {
  like: { metric: "likes", by: 1, fan: 1 },
  unlike: { metric: "likes", by: -1, fan: -1 },
  save: { metric: "saves", by: 1, fan: 1 },
  unsave: { metric: "saves", by: -1, fan: -1 },
  share: { metric: "shares", by: 1, fan: 1 },
  download: { metric: "downloads", by: 1, fan: 1 },
  comment: { metric: "comments", by: 1, fan: 1 },
  comment_delete: { metric: "comments", by: -1, fan: -1 },
  play_complete: { metric: "completes", by: 1, fan: 1 },
  play_skip: { metric: "skips", by: 1, fan: 0 },
};
const FOLLOW_EFFECTS: Record<string, number> = { follow: 1, unfollow: -1 };
/**
 * Listener sets are kept per hour and per day (weeks and longer are unions of days, read from the day sets); the set
 * of listeners ever (one row each, with the hour of their latest play) is kept by touchRecency.
 */
const SET_GRAINS = ["hour", "day"] as const;

export type RollupJob = {
  /** One run of `rollup`, then fresh planner statistics when the tables have grown enough since the last ones. */
  run(options?: { maxChunks?: number }): Promise<RollupReturnType>;
};

/**
 * The rollup as a long-lived job (the server's scheduler, the benchmark): it also keeps the statistics tables'
 * planner statistics fresh, with ANALYZE once 1,000 rows were rolled up and again each time the rows rolled since
 * reach 10,000 or a tenth of those before (PGlite has no autovacuum to do it; on PostgreSQL it is merely early).
 */
export function createRollupJob(parameters: RollupParameters): RollupJob {
  let since = 0;
  // The rows rolled up before this process started count as before: a restarted server over a large store does not
  // take its first new 1,000 rows for a tenfold growth (an ANALYZE holds PGlite's one connection for a second or more).
  let before: number | undefined;
  return {
    async run({ maxChunks } = {}) {
      if (before === undefined) {
        const cursors = await readCursors(parameters.db);
        before = Number(cursors.plays.rolledTo + cursors.engagement.rolledTo);
      }
      const result = await rollup({ ...parameters, ...(maxChunks === undefined ? {} : { maxChunks }) });
      since += result.plays + result.events;
      if ((before === 0 && since >= 1000) || since >= Math.max(10_000, before / 10)) {
        await analyzeStats(parameters.db);
        before += since;
        since = 0;
      }
      return result;
    },
  };
}

/** Rolls up until the cursors reach the safe horizon or `maxChunks` chunks were applied. */
export async function rollup({ maxChunks = Number.POSITIVE_INFINITY, ...parameters }: RollupParameters & { maxChunks?: number }): Promise<RollupReturnType> {
  // The horizon is raised only once the cursors have reached it: while rows below it wait, there is no need to take
  // the lock (which makes new inserts wait behind the ones in flight) at all.
  const before = await readCursors(parameters.db);
  const caughtUp = before.plays.rolledTo >= before.plays.safeTo && before.engagement.rolledTo >= before.engagement.safeTo;
  const horizonRaised = caughtUp ? await raiseSafeHorizon(parameters.db) : false;
  const result: RollupReturnType = { chunks: 0, plays: 0, events: 0, behind: false, horizonRaised };
  for (;;) {
    if (result.chunks >= maxChunks) {
      const cursors = await readCursors(parameters.db);
      result.behind = cursors.plays.rolledTo < cursors.plays.safeTo || cursors.engagement.rolledTo < cursors.engagement.safeTo;
      return result;
    }
    const chunk = await rollupChunk(parameters);
    if (chunk === undefined) return result;
    result.chunks += 1;
    result.plays += chunk.plays;
    result.events += chunk.events;
  }
}

/** Applies the next chunk; undefined when both cursors are at the safe horizon. */
export async function rollupChunk({ db, creatorOf, chunkSize = 2000, beforeCommit }: RollupParameters): Promise<RollupChunk | undefined> {
  for (;;) {
    // Creators are read from the chain outside the transaction (never await the chain inside one), for the chunk as
    // it looks now; if another process moved the cursor meanwhile, the chunk read under the lock may name a track
    // still unknown, and the loop goes round once more.
    await cacheCreators(db, await chunkAt(db, await readCursors(db), chunkSize), creatorOf);
    const applied = await db.transaction(async (tx) => {
      const cursors = await readCursors(tx, { lock: true });
      const chunk = await chunkAt(tx, cursors, chunkSize);
      if (chunk.plays.length === 0 && chunk.events.length === 0 && chunk.playsTo === cursors.plays.rolledTo && chunk.eventsTo === cursors.engagement.rolledTo) return null;
      const creators = await readTrackCreators(tx, countedTracks(chunk));
      if (countedTracks(chunk).some((id) => !creators.has(id))) return undefined;
      // Every scope the chunk touches gets this version: the cursors' sum, which grows with every chunk.
      const scopes = await applyChunk(tx, chunk, creators, chunk.playsTo + chunk.eventsTo);
      await writeCursors(tx, chunk.playsTo, chunk.eventsTo);
      // Delivered on COMMIT to every relayer process listening (what it kept of these scopes is stale from then on).
      if (db.kind === "postgres") await tx.query(`SELECT pg_notify($1, $2)`, [STATS_CHANNEL, scopesPayload(scopes)]);
      const summary = { plays: chunk.plays.length, events: chunk.events.length, playsTo: chunk.playsTo, eventsTo: chunk.eventsTo };
      await beforeCommit?.(summary);
      return { summary, scopes };
    });
    if (applied === null) return undefined;
    if (applied !== undefined) {
      for (const listener of committedListeners.get(db) ?? []) listener(applied.scopes);
      return applied.summary;
    }
  }
}

/** Scopes a chunk changed, as `kind|key` ("t|12", "a|0xabc…"). */
export type ChangedScopes = readonly string[];

const committedListeners = new WeakMap<Database, Set<(scopes: ChangedScopes) => void>>();

/**
 * The PostgreSQL channel every committed rollup chunk notifies (see `Database.listen`), with the scopes it changed
 * comma-separated as payload, or `*` (every scope) when they would not fit in a notification (8,000 bytes).
 */
export const STATS_CHANNEL = "beatstream_stats";
export const ALL_SCOPES = "*";
const MAX_PAYLOAD = 7_000;

function scopesPayload(scopes: ChangedScopes): string {
  const payload = scopes.join(",");
  return payload.length > MAX_PAYLOAD ? ALL_SCOPES : payload;
}

/** The scopes a notification names; undefined for every scope. */
export function parseScopesPayload(payload: string): ChangedScopes | undefined {
  return payload === ALL_SCOPES || payload === "" ? undefined : payload.split(",");
}

/**
 * Calls `listener` after every rollup chunk this process commits to `db`; returns the unsubscribe. Only a store that
 * this process alone writes (PGlite) can rely on it to know that its statistics changed: on a shared PostgreSQL
 * other processes roll up too.
 */
export function onRollupCommitted(db: Database, listener: (scopes: ChangedScopes) => void): () => void {
  let listeners = committedListeners.get(db);
  if (listeners === undefined) committedListeners.set(db, (listeners = new Set()));
  listeners.add(listener);
  return () => listeners.delete(listener);
}

type Chunk = { plays: RolledPlay[]; events: RolledEvent[]; playsTo: bigint; eventsTo: bigint };

/** The rows past each cursor up to its safe horizon, and where each cursor lands after them. */
async function chunkAt(db: Queryable, cursors: Awaited<ReturnType<typeof readCursors>>, limit: number): Promise<Chunk> {
  const plays = await readPlaysAfter(db, cursors.plays.rolledTo, cursors.plays.safeTo, limit);
  const events = await readEventsAfter(db, cursors.engagement.rolledTo, cursors.engagement.safeTo, limit);
  // A short read reached the horizon: ineffective events and ids of rolled-back inserts up to it need no visit.
  const playsTo = plays.length < limit ? cursors.plays.safeTo : plays.at(-1)!.id;
  const eventsTo = events.length < limit ? cursors.engagement.safeTo : events.at(-1)!.id;
  return { plays, events, playsTo, eventsTo };
}

/** Tracks whose creator the chunk's counting needs. */
function countedTracks(chunk: Chunk): bigint[] {
  const ids = new Set<bigint>(chunk.plays.map((play) => play.trackId));
  for (const event of chunk.events) if (event.action in TRACK_EFFECTS) ids.add(event.trackId);
  return [...ids];
}

async function cacheCreators(db: Database, chunk: Chunk, creatorOf: (trackId: bigint) => Promise<string>): Promise<void> {
  const ids = countedTracks(chunk);
  const known = await readTrackCreators(db, ids);
  const missing = ids.filter((id) => !known.has(id));
  const found = new Map<bigint, string>();
  for (const id of missing) {
    const creator = await creatorOf(id);
    // Plays and events are accepted only for minted tracks, so a zero creator is a chain that does not answer right.
    if (BigInt(creator) === 0n) throw new Error(`creatorOf(${id}) is the zero address: is the RPC on the right chain?`);
    found.set(id, creator);
  }
  await saveTrackCreators(db, found);
}

/** Every effect of a chunk, aggregated in memory, written with one statement per table. */
async function applyChunk(tx: Queryable, chunk: Chunk, creators: ReadonlyMap<bigint, string>, version: bigint): Promise<ChangedScopes> {
  const buckets = new Map<string, BucketDelta>();
  const totals = new Map<string, TotalDelta>();
  const sources = new Map<string, SourceDelta>();
  const sourceBuckets = new Map<string, SourceBucketDelta>();
  const fans = new Map<string, FanDelta>();
  const listeners = new Map<string, ListenerEntry>();
  const recency = new Map<string, RecencyEntry>();

  const total = (kind: ScopeKind, key: string, creator: string | null) => {
    const id = `${kind}|${key}`;
    let row = totals.get(id);
    if (row === undefined) totals.set(id, (row = { kind, key, creator, ...zeros(TOTAL_METRICS) }));
    return row;
  };
  const bump = (kind: ScopeKind, key: string, creator: string | null, at: number, metric: BucketMetric, by: number) => {
    total(kind, key, creator)[metric] += by;
    for (const grain of GRAINS) {
      const bucket = bucketStart(grain, at);
      const id = `${kind}|${key}|${grain}|${bucket}`;
      let row = buckets.get(id);
      if (row === undefined) buckets.set(id, (row = { kind, key, grain, bucket, ...zeros(BUCKET_METRICS) }));
      row[metric] += by;
    }
  };
  const fan = (artist: string, who: string, plays: number, actions: number) => {
    const id = `${artist}|${who}`;
    const row = fans.get(id) ?? { artist, fan: who, plays: 0, actions: 0 };
    row.plays += plays;
    row.actions += actions;
    fans.set(id, row);
  };

  for (const play of chunk.plays) {
    const creator = creators.get(play.trackId)!;
    const scopes: [ScopeKind, string, string | null][] = [["t", play.trackId.toString(), creator], ["a", creator, null]];
    for (const [kind, key, owner] of scopes) {
      bump(kind, key, owner, play.at, "plays", 1);
      for (const grain of SET_GRAINS) {
        const bucket = bucketStart(grain, play.at);
        listeners.set(`${kind}|${key}|${grain}|${bucket}|${play.listener}`, { kind, key, grain, bucket, listener: play.listener });
      }
      const hour = bucketStart("hour", play.at);
      const id = `${kind}|${key}|${play.listener}`;
      const latest = recency.get(id);
      if (latest === undefined || latest.hour < hour) recency.set(id, { kind, key, listener: play.listener, hour });
    }
    fan(creator, play.listener, 1, 0);
  }

  for (const event of chunk.events) {
    const effect = TRACK_EFFECTS[event.action];
    if (effect !== undefined) {
      const creator = creators.get(event.trackId)!;
      for (const [kind, key, owner] of [["t", event.trackId.toString(), creator], ["a", creator, null]] as const) {
        if (effect.metric !== undefined) bump(kind, key, owner, event.at, effect.metric as BucketMetric, effect.by);
        if (event.action === "share") total(kind, key, owner)[shareChannel(event.text)] += 1;
        if (event.action === "play_complete" || event.action === "play_skip") {
          const ended = (row: { completes: number; skips: number }) => (event.action === "play_complete" ? (row.completes += 1) : (row.skips += 1));
          const id = `${kind}|${key}|${event.text}`;
          const row = sources.get(id) ?? { kind, key, source: event.text, completes: 0, skips: 0 };
          ended(row);
          sources.set(id, row);
          for (const grain of SET_GRAINS) {
            const bucket = bucketStart(grain, event.at);
            const bucketRow = sourceBuckets.get(`${id}|${grain}|${bucket}`) ?? { kind, key, source: event.text, grain, bucket, completes: 0, skips: 0 };
            ended(bucketRow);
            sourceBuckets.set(`${id}|${grain}|${bucket}`, bucketRow);
          }
        }
      }
      if (effect.fan !== 0) fan(creator, event.fan, 0, effect.fan);
      continue;
    }
    const follow = FOLLOW_EFFECTS[event.action];
    if (follow !== undefined) {
      bump("a", event.artist, null, event.at, "followers", follow);
      fan(event.artist, event.fan, 0, follow);
    }
    // Playlist actions change no counter.
  }

  // Listener sets first: the entries that were new are the listeners the buckets and totals gain.
  for (const entry of await touchRecency(tx, [...recency.values()])) total(entry.kind, entry.key, null).listeners += 1;
  for (const entry of await addListeners(tx, [...listeners.values()])) {
    const row = buckets.get(`${entry.kind}|${entry.key}|${entry.grain}|${entry.bucket}`);
    // Every listener entry came from a play, which made its bucket row above.
    row!.listeners += 1;
  }
  // A track's creator rides on its total row (set once, never changed).
  for (const row of totals.values()) if (row.kind === "t" && row.creator === null) row.creator = creators.get(BigInt(row.key)) ?? null;

  await addBucketDeltas(tx, [...buckets.values()]);
  await addTotalDeltas(tx, [...totals.values()], version);
  await addSourceDeltas(tx, [...sources.values()]);
  await addSourceBucketDeltas(tx, [...sourceBuckets.values()]);
  await addFanDeltas(tx, [...fans.values()]);
  // Every counted effect went through total(): its keys are the scopes the chunk changed.
  return [...totals.keys()];
}

function zeros<M extends string>(metrics: readonly M[]): Record<M, number> {
  return Object.fromEntries(metrics.map((m) => [m, 0])) as Record<M, number>;
}

/** `shares_<channel>`; a channel outside the spec's list (ingestion refuses those) counts as other. */
function shareChannel(text: string): TotalMetric {
  return (SHARE_CHANNELS as readonly string[]).includes(text) ? (`shares_${text}` as TotalMetric) : "shares_other";
}
