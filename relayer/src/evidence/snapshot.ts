import { isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { canonicalJson, type CanonicalJson } from "./canonical-json.js";
import { parseCid } from "./cid.js";
import { computeDeltas, type CreatorTotal } from "./deltas.js";
import {
  canonicalEngagement,
  computeEngagementDeltas,
  ENGAGEMENT_ACTIONS,
  type EngagementDeltas,
  type SignedEngagement,
  type TrackEngagementDelta,
} from "./engagement.js";
import { InvalidEngagementEvidenceError, SnapshotInvalidError, SnapshotNotCanonicalError } from "./errors.js";
import { lowerHex } from "../crypto/hex.js";
import { buildPlaysTree, rootOf } from "../crypto/merkle.js";
import { canonicalPlays, compareText, type SignedPlay } from "../crypto/plays.js";

/**
 * The public evidence of one batch (README, "Batch evidence"): anyone holding these bytes can rebuild the
 * Merkle root from the plays, re-check every signature, and recompute the deltas that MusicNFT committed; from
 * version 2 on, also the engagement events of the period (docs/engagement.md, "Evidence") and the counter deltas
 * they make.
 *
 * Encoding rules, chosen so one batch has exactly one byte string and so one CID:
 * - canonical JSON: UTF-8, keys sorted at every level, no whitespace (see `canonicalJson`);
 * - integers whose Solidity type is wider than 32 bits (chainId, batchId, trackId, startedAt, issuedAt, every play
 *   count) are decimal strings without leading zeros; uint32 and narrower (version, durationSeconds, value) are JSON
 *   numbers — the rule is by type, not by value, so a field never changes representation between batches;
 *   engagement counter deltas are JSON integers (signed: an unlike is −1; bounded by the batch's event count);
 * - addresses and byte strings (musicNFT, listener, fan, artist, creator, root, subject, nonce, signature) are
 *   lowercase 0x-hex;
 * - plays in canonical order (trackId, listener, nonce); deltas by trackId; creators by address; engagement events
 *   by (issuedAt, fan, nonce), engagement track deltas by trackId, artist deltas by address;
 * - previousCid is the CID of the previous batch's snapshot, null for the first batch.
 * Version 1 (before engagement) has no `engagement` key; it still decodes, audits and verifies.
 */
export type Snapshot = SnapshotV1 | SnapshotV2;

interface SnapshotBase {
  chainId: bigint;
  musicNFT: Address;
  batchId: bigint;
  previousCid: string | null;
  root: Hex;
  plays: SignedPlay[];
  deltas: SnapshotDelta[];
  creators: CreatorTotal[];
}

export interface SnapshotV1 extends SnapshotBase {
  version: 1;
}

export interface SnapshotV2 extends SnapshotBase {
  version: 2;
  engagement: SnapshotEngagement;
}

/** The period's effective engagement events, with the counter deltas `computeEngagementDeltas` gives for them. */
export interface SnapshotEngagement extends EngagementDeltas {
  events: SignedEngagement[];
}

export interface SnapshotDelta {
  trackId: bigint;
  plays: bigint;
}

export const SNAPSHOT_VERSION = 2;

export interface BuildSnapshotParameters {
  chainId: bigint;
  musicNFT: Address;
  batchId: bigint;
  previousCid: string | null;
  plays: readonly SignedPlay[];
  /** trackId → creator (MusicNFT.creatorOf) for every track in `plays`. */
  creatorOf: ReadonlyMap<bigint, Address>;
  /** The effective engagement events sealed into the batch (none by default). */
  engagement?: readonly SignedEngagement[];
}

/** The snapshot of a batch: root, deltas, creator totals and engagement deltas computed, everything in canonical order. */
export function buildSnapshot({ chainId, musicNFT, batchId, previousCid, plays, creatorOf, engagement = [] }: BuildSnapshotParameters): SnapshotV2 {
  const sorted = canonicalPlays(plays);
  const { tracks, creators } = computeDeltas({ plays: sorted, creatorOf });
  const events = canonicalEngagement(engagement);
  return {
    version: SNAPSHOT_VERSION,
    chainId,
    musicNFT: lowerHex(musicNFT),
    batchId,
    previousCid: previousCid === null ? null : parseCid(previousCid),
    root: rootOf(buildPlaysTree(sorted)),
    plays: sorted,
    deltas: tracks.map(({ trackId, plays: count }) => ({ trackId, plays: count })).sort((a, b) => compareBigint(a.trackId, b.trackId)),
    creators,
    engagement: { events, ...computeEngagementDeltas(events) },
  };
}

/** The canonical bytes of a snapshot. Arrays are put in canonical order here too, so equal content gives equal bytes. */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const json: { [key: string]: CanonicalJson } = {
    version: snapshot.version,
    chainId: snapshot.chainId.toString(),
    musicNFT: lowerHex(snapshot.musicNFT),
    batchId: snapshot.batchId.toString(),
    previousCid: snapshot.previousCid,
    root: lowerHex(snapshot.root),
    plays: canonicalPlays(snapshot.plays).map((play) => ({
      listener: play.listener,
      trackId: play.trackId.toString(),
      startedAt: play.startedAt.toString(),
      durationSeconds: play.durationSeconds,
      nonce: play.nonce,
      signature: play.signature,
    })),
    deltas: [...snapshot.deltas]
      .sort((a, b) => compareBigint(a.trackId, b.trackId))
      .map(({ trackId, plays }) => ({ trackId: trackId.toString(), plays: plays.toString() })),
    creators: [...snapshot.creators]
      .map(({ creator, plays }) => ({ creator: lowerHex(creator), plays: plays.toString() }))
      .sort((a, b) => compareText(a.creator, b.creator)),
  };
  if (snapshot.version === 2) json.engagement = encodeEngagement(snapshot.engagement);
  return new TextEncoder().encode(canonicalJson(json));
}

function encodeEngagement({ events, tracks, artists }: SnapshotEngagement): CanonicalJson {
  return {
    events: canonicalEngagement(events).map((event) => ({
      fan: event.fan,
      action: event.action,
      trackId: event.trackId.toString(),
      artist: event.artist,
      subject: event.subject,
      text: event.text,
      value: event.value,
      nonce: event.nonce,
      issuedAt: event.issuedAt.toString(),
      signature: event.signature,
    })),
    tracks: [...tracks]
      .sort((a, b) => compareBigint(a.trackId, b.trackId))
      .map(({ trackId, likes, saves, shares, downloads, comments, completes, skips }) => ({
        trackId: trackId.toString(),
        likes,
        saves,
        shares: { ...shares },
        downloads,
        comments,
        completes,
        skips,
      })),
    artists: [...artists].map(({ artist, followers }) => ({ artist: lowerHex(artist), followers })).sort((a, b) => compareText(a.artist, b.artist)),
  };
}

const decimal = (max: bigint) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, "a decimal string without leading zeros")
    .transform((text) => BigInt(text))
    .refine((value) => value <= max, `at most ${max}`);
const lowerHexText = (bytes?: number) =>
  z
    .string()
    .regex(bytes === undefined ? /^0x(?:[0-9a-f]{2})+$/ : new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), "lowercase 0x-hex")
    .transform((text): Hex => `0x${text.slice(2)}`);
const address = lowerHexText(20).refine((text) => isAddress(text, { strict: false }));
const uint256 = decimal(2n ** 256n - 1n);
const cid = z.string().refine((text) => {
  try {
    return parseCid(text) === text;
  } catch {
    return false;
  }
}, "a canonical CIDv1");

const snapshotFields = {
  chainId: uint256,
  musicNFT: address,
  batchId: uint256,
  previousCid: cid.nullable(),
  root: lowerHexText(32),
  plays: z
    .array(
      z.strictObject({
        listener: address,
        trackId: uint256,
        startedAt: decimal(2n ** 64n - 1n),
        durationSeconds: z.int().min(0).max(2 ** 32 - 1),
        nonce: lowerHexText(32),
        signature: lowerHexText(),
      }),
    )
    .min(1),
  deltas: z.array(z.strictObject({ trackId: uint256, plays: uint256 })).min(1),
  creators: z.array(z.strictObject({ creator: address, plays: uint256 })).min(1),
};

const count = z.int().min(-(2 ** 31)).max(2 ** 31 - 1);

const engagementSchema = z.strictObject({
  events: z.array(
    z.strictObject({
      fan: address,
      action: z.enum(ENGAGEMENT_ACTIONS),
      trackId: uint256,
      artist: address,
      subject: lowerHexText(32),
      text: z.string(),
      value: z.int().min(0).max(2 ** 32 - 1),
      nonce: lowerHexText(32),
      issuedAt: decimal(2n ** 64n - 1n),
      signature: lowerHexText(),
    }),
  ),
  tracks: z.array(
    z.strictObject({
      trackId: uint256,
      likes: count,
      saves: count,
      shares: z.strictObject({ link: count, x: count, farcaster: count, embed: count, other: count }),
      downloads: count,
      comments: count,
      completes: count,
      skips: count,
    }),
  ),
  artists: z.array(z.strictObject({ artist: address, followers: count })),
});

const snapshotSchema = z.discriminatedUnion("version", [
  z.strictObject({ version: z.literal(1), ...snapshotFields }),
  z.strictObject({ version: z.literal(2), ...snapshotFields, engagement: engagementSchema }),
]);

/**
 * Parses and validates snapshot bytes. Throws `SnapshotInvalidError` (not UTF-8 JSON, or not the schema) and
 * `SnapshotNotCanonicalError` (right content, other bytes: its CID would not be the batch's CID).
 * It checks form, not truth: `auditSnapshot` recomputes what the plays imply.
 */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new SnapshotInvalidError(["not UTF-8 JSON"], { cause: error });
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) {
    throw new SnapshotInvalidError(parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`));
  }
  const snapshot: Snapshot = parsed.data;
  if (!equalBytes(encodeSnapshot(snapshot), bytes)) throw new SnapshotNotCanonicalError();
  return snapshot;
}

/**
 * What a decoded snapshot gets wrong about itself: the root and per-track deltas recomputed from its plays, and
 * the creator totals summed, compared with what it states. Empty when consistent. Creator attribution needs the
 * chain (MusicNFT.creatorOf), so only the creators' sum is checked here.
 */
export function auditSnapshot(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  const root = rootOf(buildPlaysTree(snapshot.plays));
  if (root !== lowerHex(snapshot.root)) problems.push(`root: stated ${snapshot.root}, plays give ${root}`);
  const counted = new Map<bigint, bigint>();
  for (const play of snapshot.plays) counted.set(play.trackId, (counted.get(play.trackId) ?? 0n) + 1n);
  const stated = new Map(snapshot.deltas.map((delta) => [delta.trackId, delta.plays]));
  for (const trackId of new Set([...counted.keys(), ...stated.keys()])) {
    const want = counted.get(trackId) ?? 0n;
    const got = stated.get(trackId) ?? 0n;
    if (want !== got) problems.push(`deltas: track ${trackId} stated ${got}, plays give ${want}`);
  }
  if (stated.size !== snapshot.deltas.length) problems.push("deltas: a track is listed twice");
  const creatorSum = snapshot.creators.reduce((sum, { plays }) => sum + plays, 0n);
  const total = BigInt(snapshot.plays.length);
  if (creatorSum !== total) problems.push(`creators: totals sum to ${creatorSum}, the batch has ${total} plays`);
  if (snapshot.version === 2) problems.push(...auditEngagement(snapshot.engagement));
  return problems;
}

/**
 * The engagement deltas recomputed from the snapshot's events with `computeEngagementDeltas` (the seal step's own
 * function), compared entry by entry with what the snapshot states, and each (fan, nonce) listed once.
 * Signatures need the domain: `verify` checks them.
 */
export function auditEngagement(engagement: SnapshotEngagement): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const event of engagement.events) {
    const key = `${lowerHex(event.fan)}:${lowerHex(event.nonce)}`;
    if (seen.has(key)) problems.push(`engagement: event (fan ${event.fan}, nonce ${event.nonce}) is listed twice`);
    seen.add(key);
  }
  let recomputed: EngagementDeltas;
  try {
    recomputed = computeEngagementDeltas(engagement.events);
  } catch (error) {
    if (error instanceof InvalidEngagementEvidenceError) return [...problems, `engagement: ${error.message}`];
    throw error;
  }
  const trackText = (entry: TrackEngagementDelta | undefined) =>
    entry === undefined ? "nothing" : canonicalJson({ likes: entry.likes, saves: entry.saves, shares: { ...entry.shares }, downloads: entry.downloads, comments: entry.comments, completes: entry.completes, skips: entry.skips });
  const statedTracks = new Map(engagement.tracks.map((entry) => [entry.trackId, entry]));
  if (statedTracks.size !== engagement.tracks.length) problems.push("engagement: a track is listed twice");
  const wantTracks = new Map(recomputed.tracks.map((entry) => [entry.trackId, entry]));
  for (const trackId of [...new Set([...wantTracks.keys(), ...statedTracks.keys()])].sort(compareBigint)) {
    const want = trackText(wantTracks.get(trackId));
    const got = trackText(statedTracks.get(trackId));
    if (want !== got) problems.push(`engagement: track ${trackId} stated ${got}, events give ${want}`);
  }
  const statedArtists = new Map(engagement.artists.map((entry) => [lowerHex(entry.artist), entry.followers]));
  if (statedArtists.size !== engagement.artists.length) problems.push("engagement: an artist is listed twice");
  const wantArtists = new Map(recomputed.artists.map((entry) => [lowerHex(entry.artist), entry.followers]));
  for (const artist of [...new Set([...wantArtists.keys(), ...statedArtists.keys()])].sort(compareText)) {
    const want = wantArtists.get(artist) ?? 0;
    const got = statedArtists.get(artist) ?? 0;
    if (want !== got) problems.push(`engagement: artist ${artist} followers stated ${got}, events give ${want}`);
  }
  return problems;
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
