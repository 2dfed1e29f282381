import type { Address } from "viem";
import type { EngagementVerifier } from "../crypto/engagement.js";
import type { Database, Queryable } from "../repo/db/database.js";
import {
  eventKey,
  followKey,
  insertEngagementEvents,
  markKey,
  readEngagementState,
  writeEngagementState,
  type CommentState,
  type EngagementState,
  type EventToStore,
  type PlaylistState,
  type StateWrites,
  type ToggleState,
} from "../repo/engagement.js";
import { lockKeys } from "../repo/plays.js";
import type { TrackCatalog } from "../plays/tracks.js";
import type { ArtistCatalog } from "./artists.js";
import { FIELD_RULES, NO_VALUE, parseSignedEngagement, type ParsedEngagement } from "./schema.js";

/** Why an event was refused; stable, part of the API (docs/engagement.md). Listed in the order the checks run. */
export const ENGAGEMENT_REJECTION_CODES = [
  "invalid_event",
  "invalid_signature",
  "in_future",
  "too_old",
  "duplicate_nonce",
  "unknown_track",
  "unknown_artist",
  "unknown_playlist",
  "not_owner",
  "unknown_comment",
  "playlist_full",
  "too_many_playlists",
  "rate_limited_fan",
  "rate_limited_ip",
] as const;
export type EngagementRejectionCode = (typeof ENGAGEMENT_REJECTION_CODES)[number];

export type EngagementEffect = "applied" | "unchanged";

export type EngagementResult =
  | { status: "accepted"; id: string; effect: EngagementEffect }
  | { status: "rejected"; code: EngagementRejectionCode; message?: string };

export type EngagementRules = {
  /** Oldest accepted issuedAt, in seconds before now (the play age limit). */
  maxAgeSeconds: number;
  /** How far issuedAt may lie in the future. */
  clockSkewSeconds: number;
  fanPerHour: number;
  fanPerDay: number;
  ipPerMinute: number;
};

/** A playlist holds at most this many tracks; a fan owns at most MAX_PLAYLISTS live playlists. */
export const MAX_PLAYLIST_TRACKS = 500;
export const MAX_PLAYLISTS = 200;

export type IngestEngagementParameters = {
  db: Database;
  verifier: Pick<EngagementVerifier, "check">;
  tracks: Pick<TrackCatalog, "minted">;
  artists: ArtistCatalog;
  rules: EngagementRules;
  /** Untrusted items, each checked on its own. */
  items: readonly unknown[];
  clientIp: string;
  /** Unix seconds; injected so tests pin the clock. */
  now?: number;
};

const HOUR = 3600n;
const DAY = 86_400n;
const MINUTE = 60;

type Candidate = ParsedEngagement & { index: number; signatureHash: string; key: string; buckets: [string, bigint][] };

/**
 * Checks every item in order — shape and field rules, signature, time window, nonce, track, artist, playlist and
 * comment state, rate limits — and stores the accepted events with the state they change in one transaction before
 * returning, so a 202 always means "durably stored". A rejected item stores nothing and uses no rate budget.
 *
 * Items of one request apply in request order (a playlist created by item 1 can take tracks in item 2); toggles
 * apply in issuedAt order per (fan, target): one older than the state it would change is stored as `unchanged`.
 */
export async function ingestEngagement({
  db,
  verifier,
  tracks,
  artists,
  rules,
  items,
  clientIp,
  now = Math.floor(Date.now() / 1000),
}: IngestEngagementParameters): Promise<EngagementResult[]> {
  const results: (EngagementResult | undefined)[] = new Array(items.length);
  const reject = (index: number, code: EngagementRejectionCode, message?: string) => {
    results[index] = message === undefined ? { status: "rejected", code } : { status: "rejected", code, message };
  };

  // Stateless checks: no database, no chain.
  const parsed: (ParsedEngagement & { index: number })[] = [];
  items.forEach((item, index) => {
    const result = parseSignedEngagement(item);
    if (result.ok) parsed.push({ ...result.value, index });
    else reject(index, "invalid_event", result.message);
  });
  const checks = await verifier.check(parsed);
  const nowBig = BigInt(now);
  const ipBucket = `eng:ip:${clientIp}:${Math.floor(now / MINUTE)}`;
  const ipExpiry = BigInt((Math.floor(now / MINUTE) + 1) * MINUTE);
  const keepFor = BigInt(rules.maxAgeSeconds + rules.clockSkewSeconds);
  const candidates: Candidate[] = [];
  parsed.forEach((item, at) => {
    const { event } = item;
    if (!checks[at]!.valid) return reject(item.index, "invalid_signature");
    if (event.issuedAt > nowBig + BigInt(rules.clockSkewSeconds)) return reject(item.index, "in_future");
    if (event.issuedAt < nowBig - BigInt(rules.maxAgeSeconds)) return reject(item.index, "too_old");
    const hour = event.issuedAt / HOUR;
    const day = event.issuedAt / DAY;
    candidates.push({
      ...item,
      signatureHash: checks[at]!.signatureHash,
      key: eventKey(event.fan, event.nonce),
      // Fan windows by the event's own clock (a late upload meets the same limit), kept while an event issued in
      // them can still arrive; the IP window by arrival minute.
      buckets: [
        [`eng:fh:${event.fan}:${hour}`, (hour + 1n) * HOUR + keepFor],
        [`eng:fd:${event.fan}:${day}`, (day + 1n) * DAY + keepFor],
        [ipBucket, ipExpiry],
      ],
    });
  });

  if (candidates.length > 0) {
    // Chain reads outside the transaction: a chain call must never hold the database (PGlite serialises everything).
    const minted = await tracks.minted(candidates.filter((c) => FIELD_RULES[c.action].track).map((c) => c.event.trackId));
    const creators = await artists.creators(candidates.filter((c) => FIELD_RULES[c.action].artist).map((c) => c.event.artist));
    const verdicts = await db.transaction(async (tx) => {
      // Several relayers may share PostgreSQL: per-fan, per-playlist and per-comment locks make the reads below see
      // every concurrent request that could change the same state or fan budgets. The per-IP window is not locked
      // (as for plays): behind a proxy every request has one address, and a lock would serialise them all; two
      // requests at once can pass it by at most their own sizes. PGlite runs one transaction at a time.
      if (db.kind === "postgres") await lockKeys(tx, lockKeysOf(candidates));
      const state = await readEngagementState(tx, stateQuery(candidates));
      const decision = decide(candidates, state, { minted, creators, rules });
      await write(tx, decision, clientIp);
      return decision.verdicts;
    });
    for (const [index, verdict] of verdicts) results[index] = verdict;
  }
  return results.map((result) => result ?? { status: "rejected", code: "invalid_event" });
}

function lockKeysOf(candidates: readonly Candidate[]): string[] {
  const keys = new Set<string>();
  for (const { event, action } of candidates) {
    keys.add(`eng:fan:${event.fan}`);
    if (action.startsWith("playlist_")) keys.add(`eng:pl:${event.subject}`);
    if (action === "comment" || action === "comment_delete") keys.add(`eng:cm:${event.subject}`);
  }
  return [...keys];
}

function stateQuery(candidates: readonly Candidate[]) {
  const marks = new Map<string, { kind: string; trackId: bigint; fan: string }>();
  const follows = new Map<string, { artist: string; fan: string }>();
  const playlistIds = new Set<string>();
  const owners = new Set<string>();
  const commentIds = new Set<string>();
  for (const { event, action } of candidates) {
    const kind = markKind(action);
    if (kind !== undefined) marks.set(markKey(kind, event.trackId, event.fan), { kind, trackId: event.trackId, fan: event.fan });
    if (action === "follow" || action === "unfollow") follows.set(followKey(event.artist, event.fan), { artist: event.artist, fan: event.fan });
    if (action.startsWith("playlist_")) playlistIds.add(event.subject);
    if (action === "playlist_create") owners.add(event.fan);
    if (action === "comment" || action === "comment_delete") commentIds.add(event.subject);
  }
  const buckets = new Set(candidates.flatMap((c) => c.buckets.map(([bucket]) => bucket)));
  return {
    events: candidates.map(({ event }) => ({ fan: event.fan, nonce: event.nonce })),
    buckets: [...buckets],
    marks: [...marks.values()],
    follows: [...follows.values()],
    playlistIds: [...playlistIds],
    owners: [...owners],
    commentIds: [...commentIds],
  };
}

function markKind(action: string): "like" | "save" | undefined {
  if (action === "like" || action === "unlike") return "like";
  if (action === "save" || action === "unsave") return "save";
  return undefined;
}

type Verdicts = Map<number, EngagementResult>;
/** What an accepted event does to the working state, applied only once every check (rate limits last) passed. */
type Outcome = { code: EngagementRejectionCode } | { effect: EngagementEffect; apply?: () => void };

type Decision = {
  verdicts: Verdicts;
  accepted: { candidate: Candidate; effect: EngagementEffect }[];
  state: EngagementState;
  dirtyMarks: Set<string>;
  dirtyFollows: Set<string>;
  dirtyPlaylists: Set<string>;
  dirtyComments: Set<string>;
  increments: Map<string, { count: number; expiresAt: bigint }>;
};

/**
 * Decides every candidate in request order against `state` (mutated in place as events apply). State rows that an
 * accepted event sets carry that event's key (fan:nonce) as their event id until the events are stored; `write`
 * swaps in the real ids.
 */
function decide(
  candidates: readonly Candidate[],
  state: EngagementState,
  { minted, creators, rules }: { minted: Set<bigint>; creators: Set<Address>; rules: EngagementRules },
): Decision {
  const decision: Decision = {
    verdicts: new Map(),
    accepted: [],
    state,
    dirtyMarks: new Set(),
    dirtyFollows: new Set(),
    dirtyPlaylists: new Set(),
    dirtyComments: new Set(),
    increments: new Map(),
  };
  const used = (bucket: string) => (state.counts.get(bucket) ?? 0) + (decision.increments.get(bucket)?.count ?? 0);
  for (const candidate of candidates) {
    const { event, action, index } = candidate;
    const rule = FIELD_RULES[action];
    let outcome: Outcome;
    if (state.usedNonces.has(candidate.key)) outcome = { code: "duplicate_nonce" };
    else if (rule.track && !minted.has(event.trackId)) outcome = { code: "unknown_track" };
    else if (rule.artist && !creators.has(event.artist)) outcome = { code: "unknown_artist" };
    else outcome = evaluate(candidate, decision);
    if ("code" in outcome) {
      decision.verdicts.set(index, { status: "rejected", code: outcome.code });
      continue;
    }
    const [fanHour, fanDay, ip] = candidate.buckets;
    if (used(fanHour![0]) >= rules.fanPerHour || used(fanDay![0]) >= rules.fanPerDay) {
      decision.verdicts.set(index, { status: "rejected", code: "rate_limited_fan" });
      continue;
    }
    if (used(ip![0]) >= rules.ipPerMinute) {
      decision.verdicts.set(index, { status: "rejected", code: "rate_limited_ip" });
      continue;
    }
    outcome.apply?.();
    state.usedNonces.add(candidate.key);
    for (const [bucket, expiresAt] of candidate.buckets) {
      const entry = decision.increments.get(bucket);
      if (entry === undefined) decision.increments.set(bucket, { count: 1, expiresAt });
      else entry.count += 1;
    }
    decision.accepted.push({ candidate, effect: outcome.effect });
  }
  return decision;
}

const UNCHANGED: Outcome = { effect: "unchanged" };
const APPLIED: Outcome = { effect: "applied" };

/** The outcome of one event against the working state; nothing changes until `apply` runs. */
function evaluate(candidate: Candidate, decision: Decision): Outcome {
  const { event, action } = candidate;
  const { state } = decision;
  switch (action) {
    case "like":
    case "unlike":
    case "save":
    case "unsave": {
      const kind = markKind(action)!;
      const key = markKey(kind, event.trackId, event.fan);
      return toggle(state.marks, key, action === kind, candidate, () => decision.dirtyMarks.add(key));
    }
    case "follow":
    case "unfollow": {
      const key = followKey(event.artist, event.fan);
      return toggle(state.follows, key, action === "follow", candidate, () => decision.dirtyFollows.add(key));
    }
    case "share":
    case "download":
    case "play_complete":
    case "play_skip":
      return APPLIED;
    case "playlist_create": {
      const existing = state.playlists.get(event.subject);
      if (existing !== undefined) return existing.owner === event.fan ? UNCHANGED : { code: "not_owner" };
      const live = state.livePlaylists.get(event.fan) ?? 0;
      if (live >= MAX_PLAYLISTS) return { code: "too_many_playlists" };
      return {
        effect: "applied",
        apply: () => {
          state.playlists.set(event.subject, {
            id: event.subject,
            owner: event.fan,
            name: candidate.normalizedText,
            public: event.value === 1,
            deleted: false,
            createdAt: event.issuedAt,
            updatedAt: event.issuedAt,
            eventId: candidate.key,
            tracks: [],
          });
          state.livePlaylists.set(event.fan, live + 1);
          decision.dirtyPlaylists.add(event.subject);
        },
      };
    }
    case "playlist_rename":
    case "playlist_visibility":
    case "playlist_add":
    case "playlist_remove":
    case "playlist_move":
    case "playlist_delete":
      return editPlaylist(candidate, decision);
    case "comment": {
      const existing = state.comments.get(event.subject);
      if (existing !== undefined) return existing.fan === event.fan ? UNCHANGED : { code: "not_owner" };
      return {
        effect: "applied",
        apply: () => {
          const comment: CommentState = {
            id: event.subject,
            trackId: event.trackId,
            fan: event.fan,
            body: candidate.normalizedText,
            positionSeconds: event.value === NO_VALUE ? null : event.value,
            issuedAt: event.issuedAt,
            deleted: false,
            eventId: candidate.key,
          };
          state.comments.set(comment.id, comment);
          decision.dirtyComments.add(comment.id);
        },
      };
    }
    case "comment_delete": {
      const comment = state.comments.get(event.subject);
      if (comment === undefined || comment.trackId !== event.trackId) return { code: "unknown_comment" };
      if (comment.fan !== event.fan) return { code: "not_owner" };
      if (comment.deleted) return UNCHANGED;
      return {
        effect: "applied",
        apply: () => {
          comment.deleted = true;
          decision.dirtyComments.add(comment.id);
        },
      };
    }
  }
}

/**
 * A like/save/follow toggle. One older than the newest toggle seen changes nothing; a newer one that matches the
 * current state changes nothing either but moves the state's issuedAt forward, so a still older toggle uploaded later
 * cannot undo what the fan did since. An unfollow of nothing is recorded the same way, as an inactive row.
 */
function toggle(map: Map<string, ToggleState>, key: string, want: boolean, { event, key: eventRef }: Candidate, markDirty: () => void): Outcome {
  const current = map.get(key);
  if (current !== undefined && event.issuedAt < current.issuedAt) return UNCHANGED;
  if ((current?.active ?? false) === want) {
    return {
      effect: "unchanged",
      apply: () => {
        map.set(key, { active: want, issuedAt: event.issuedAt, eventId: current?.eventId ?? eventRef });
        markDirty();
      },
    };
  }
  return {
    effect: "applied",
    apply: () => {
      map.set(key, { active: want, issuedAt: event.issuedAt, eventId: eventRef });
      markDirty();
    },
  };
}

/** Rename, visibility, add, remove, move, delete on a playlist the fan owns. */
function editPlaylist(candidate: Candidate, decision: Decision): Outcome {
  const { event, action } = candidate;
  const playlist = decision.state.playlists.get(event.subject);
  if (playlist === undefined) return { code: "unknown_playlist" };
  if (playlist.owner !== event.fan) return { code: "not_owner" };
  if (playlist.deleted) return action === "playlist_delete" ? UNCHANGED : { code: "unknown_playlist" };
  const change = (mutate: (p: PlaylistState) => void): Outcome => ({
    effect: "applied",
    apply: () => {
      mutate(playlist);
      if (event.issuedAt > playlist.updatedAt) playlist.updatedAt = event.issuedAt;
      decision.dirtyPlaylists.add(playlist.id);
    },
  });
  const at = playlist.tracks.indexOf(event.trackId);
  switch (action) {
    case "playlist_rename":
      // Name and visibility are set-style: one signed before the playlist's last change does not overwrite it.
      if (event.issuedAt < playlist.updatedAt || playlist.name === candidate.normalizedText) return UNCHANGED;
      return change((p) => (p.name = candidate.normalizedText));
    case "playlist_visibility":
      if (event.issuedAt < playlist.updatedAt || playlist.public === (event.value === 1)) return UNCHANGED;
      return change((p) => (p.public = event.value === 1));
    case "playlist_add":
      // A track appears at most once in a playlist.
      if (at >= 0) return UNCHANGED;
      if (playlist.tracks.length >= MAX_PLAYLIST_TRACKS) return { code: "playlist_full" };
      return change((p) => p.tracks.splice(Math.min(event.value, p.tracks.length), 0, event.trackId));
    case "playlist_remove":
      if (at < 0) return UNCHANGED;
      return change((p) => p.tracks.splice(at, 1));
    case "playlist_move": {
      if (at < 0) return UNCHANGED;
      const to = Math.min(event.value, playlist.tracks.length - 1);
      if (to === at) return UNCHANGED;
      return change((p) => {
        p.tracks.splice(at, 1);
        p.tracks.splice(to, 0, event.trackId);
      });
    }
    default:
      return {
        effect: "applied",
        apply: () => {
          playlist.deleted = true;
          playlist.tracks = [];
          decision.state.livePlaylists.set(event.fan, (decision.state.livePlaylists.get(event.fan) ?? 1) - 1);
          decision.dirtyPlaylists.add(playlist.id);
        },
      };
  }
}

/** Stores the accepted events, then the state they set (with the events' real ids), then the rate windows. */
async function write(tx: Queryable, decision: Decision, clientIp: string): Promise<void> {
  const events: EventToStore[] = decision.accepted.map(({ candidate, effect }) => ({
    ...candidate.event,
    signature: candidate.signature,
    signatureHash: candidate.signatureHash,
    effective: effect === "applied",
  }));
  const ids = await insertEngagementEvents(tx, events, clientIp);
  for (const { candidate, effect } of decision.accepted) {
    const id = ids.get(candidate.key);
    // Unreachable while the locks (or PGlite's one connection) hold; throwing rolls the whole request back.
    if (id === undefined) throw new Error(`engagement event ${candidate.key} was not stored`);
    decision.verdicts.set(candidate.index, { status: "accepted", id, effect });
  }
  // Event ids of state rows set in this request are still event keys (fan:nonce, hex, never a decimal id).
  const resolve = (eventId: string) => (eventId.startsWith("0x") ? ids.get(eventId)! : eventId);
  const { state } = decision;
  const writes: StateWrites = {
    marks: [...decision.dirtyMarks].map((key) => {
      const [kind, trackId, fan] = key.split(":") as [string, string, string];
      const mark = state.marks.get(key)!;
      return { kind, trackId: BigInt(trackId), fan, state: { ...mark, eventId: resolve(mark.eventId) } };
    }),
    follows: [...decision.dirtyFollows].map((key) => {
      const [artist, fan] = key.split(":") as [string, string];
      const follow = state.follows.get(key)!;
      return { artist, fan, state: { ...follow, eventId: resolve(follow.eventId) } };
    }),
    playlists: [...decision.dirtyPlaylists].map((id) => {
      const playlist = state.playlists.get(id)!;
      return { ...playlist, eventId: resolve(playlist.eventId) };
    }),
    comments: [...decision.dirtyComments].map((id) => {
      const comment = state.comments.get(id)!;
      return { ...comment, eventId: resolve(comment.eventId) };
    }),
    counters: [...decision.increments].map(([bucket, { count, expiresAt }]) => ({ bucket, count, expiresAt })),
  };
  await writeEngagementState(tx, writes);
}
