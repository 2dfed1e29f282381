import { isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { canonicalJson, type CanonicalJson } from "./canonical-json.js";
import { parseCid } from "./cid.js";
import { computeDeltas, type CreatorTotal } from "./deltas.js";
import { SnapshotInvalidError, SnapshotNotCanonicalError } from "./errors.js";
import { lowerHex } from "../crypto/hex.js";
import { buildPlaysTree, rootOf } from "../crypto/merkle.js";
import { canonicalPlays, compareText, type SignedPlay } from "../crypto/plays.js";

/**
 * The public evidence of one batch (README, "Batch evidence"): anyone holding these bytes can rebuild the
 * Merkle root from the plays, re-check every signature, and recompute the deltas that MusicNFT committed.
 *
 * Encoding rules (version 1), chosen so one batch has exactly one byte string and so one CID:
 * - canonical JSON: UTF-8, keys sorted at every level, no whitespace (see `canonicalJson`);
 * - integers whose Solidity type is wider than 32 bits (chainId, batchId, trackId, startedAt, every play
 *   count) are decimal strings without leading zeros; uint32 and narrower (version, durationSeconds) are JSON
 *   numbers — the rule is by type, not by value, so a field never changes representation between batches;
 * - addresses and byte strings (musicNFT, listener, creator, root, nonce, signature) are lowercase 0x-hex;
 * - plays in canonical order (trackId, listener, nonce); deltas by trackId; creators by address;
 * - previousCid is the CID of the previous batch's snapshot, null for the first batch.
 */
export interface Snapshot {
  version: 1;
  chainId: bigint;
  musicNFT: Address;
  batchId: bigint;
  previousCid: string | null;
  root: Hex;
  plays: SignedPlay[];
  deltas: SnapshotDelta[];
  creators: CreatorTotal[];
}

export interface SnapshotDelta {
  trackId: bigint;
  plays: bigint;
}

export const SNAPSHOT_VERSION = 1;

export interface BuildSnapshotParameters {
  chainId: bigint;
  musicNFT: Address;
  batchId: bigint;
  previousCid: string | null;
  plays: readonly SignedPlay[];
  /** trackId → creator (MusicNFT.creatorOf) for every track in `plays`. */
  creatorOf: ReadonlyMap<bigint, Address>;
}

/** The snapshot of a batch: root, deltas and creator totals computed from the plays, everything in canonical order. */
export function buildSnapshot({ chainId, musicNFT, batchId, previousCid, plays, creatorOf }: BuildSnapshotParameters): Snapshot {
  const sorted = canonicalPlays(plays);
  const { tracks, creators } = computeDeltas({ plays: sorted, creatorOf });
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
  };
}

/** The canonical bytes of a snapshot. Arrays are put in canonical order here too, so equal content gives equal bytes. */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const json: CanonicalJson = {
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
  return new TextEncoder().encode(canonicalJson(json));
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

const snapshotSchema = z.strictObject({
  version: z.literal(SNAPSHOT_VERSION),
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
});

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
  return problems;
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
