import { bytesToHex, hexToBytes, isHex, type Address, type Hex } from "viem";
import { EmptyBatchError } from "../crypto/errors.js";
import { lowerHex } from "../crypto/hex.js";
import { compareText } from "../crypto/plays.js";
import { InvalidDeltaError, TrackIdTooLargeError, UnknownTrackCreatorError } from "./errors.js";

/** A track's plays in one batch, with the creator MusicNFT credits them to. */
export interface TrackDelta {
  trackId: bigint;
  creator: Address;
  plays: bigint;
}

/** A creator's plays in one batch, over all their tracks. */
export interface CreatorTotal {
  creator: Address;
  plays: bigint;
}

export interface ComputeDeltasParameters {
  plays: readonly { trackId: bigint }[];
  /** trackId → creator (MusicNFT.creatorOf); every track of the batch must be present. */
  creatorOf: ReadonlyMap<bigint, Address>;
}

export interface ComputeDeltasReturnType {
  /** One entry per track, sorted by creator then trackId: the order `packDeltas` commits in. */
  tracks: TrackDelta[];
  /** One entry per creator, sorted by creator address (lowercase hex). */
  creators: CreatorTotal[];
  /** All plays of the batch. */
  total: bigint;
}

/** Byte layout of one MusicNFT delta entry: 8-byte big-endian trackId, 4-byte big-endian count. */
export const DELTA_ENTRY_BYTES = 12;
export const MAX_PACKED_TRACK_ID = 2n ** 64n - 1n;
export const MAX_PACKED_DELTA = 2n ** 32n - 1n;

/** Per-track deltas and per-creator totals of a batch. Throws `UnknownTrackCreatorError` for a track without creator. */
export function computeDeltas({ plays, creatorOf }: ComputeDeltasParameters): ComputeDeltasReturnType {
  if (plays.length === 0) throw new EmptyBatchError();
  const perTrack = new Map<bigint, bigint>();
  for (const { trackId } of plays) perTrack.set(trackId, (perTrack.get(trackId) ?? 0n) + 1n);

  const tracks: TrackDelta[] = [];
  const perCreator = new Map<Address, bigint>();
  for (const [trackId, count] of perTrack) {
    const known = creatorOf.get(trackId);
    if (known === undefined) throw new UnknownTrackCreatorError(trackId);
    const creator = lowerHex(known);
    tracks.push({ trackId, creator, plays: count });
    perCreator.set(creator, (perCreator.get(creator) ?? 0n) + count);
  }
  tracks.sort(compareByCreatorThenTrack);
  const creators = [...perCreator].map(([creator, count]) => ({ creator, plays: count }));
  creators.sort((a, b) => compareText(a.creator, b.creator));
  return { tracks, creators, total: BigInt(plays.length) };
}

/**
 * MusicNFT.commitPlays' packed deltas. Entries go in creator-then-track order, so MusicNFT writes each
 * creator's total once per run. A count above 2^32−1 is split into several entries of the same track (MusicNFT
 * adds repeated tracks like any others), so no batch is ever refused for size. Throws `EmptyBatchError`,
 * `InvalidDeltaError` (count ≤ 0) and `TrackIdTooLargeError` (trackId ≥ 2^64).
 */
export function packDeltas(tracks: readonly TrackDelta[]): Hex {
  if (tracks.length === 0) throw new EmptyBatchError();
  const entries: [bigint, bigint][] = [];
  for (const { trackId, creator, plays } of [...tracks].sort(compareByCreatorThenTrack)) {
    if (trackId < 0n || trackId > MAX_PACKED_TRACK_ID) throw new TrackIdTooLargeError(trackId);
    if (plays <= 0n) throw new InvalidDeltaError(`track ${trackId} (creator ${creator}) has delta ${plays}; it must be > 0`);
    for (let left = plays; left > 0n; left -= MAX_PACKED_DELTA) {
      entries.push([trackId, left > MAX_PACKED_DELTA ? MAX_PACKED_DELTA : left]);
    }
  }
  const bytes = new Uint8Array(entries.length * DELTA_ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  entries.forEach(([trackId, count], i) => {
    view.setBigUint64(i * DELTA_ENTRY_BYTES, trackId);
    view.setUint32(i * DELTA_ENTRY_BYTES + 8, Number(count));
  });
  return bytesToHex(bytes);
}

/** The entries of packed deltas, in order (a split track appears several times). For audits and tests. */
export function unpackDeltas(packed: Hex): { trackId: bigint; plays: bigint }[] {
  if (!isHex(packed, { strict: true })) throw new InvalidDeltaError("packed deltas are not hex");
  const bytes = hexToBytes(packed);
  if (bytes.length === 0 || bytes.length % DELTA_ENTRY_BYTES !== 0) {
    throw new InvalidDeltaError(`packed deltas are ${bytes.length} bytes, not a positive multiple of ${DELTA_ENTRY_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = [];
  for (let offset = 0; offset < bytes.length; offset += DELTA_ENTRY_BYTES) {
    entries.push({ trackId: view.getBigUint64(offset), plays: BigInt(view.getUint32(offset + 8)) });
  }
  return entries;
}

function compareByCreatorThenTrack(a: TrackDelta, b: TrackDelta): number {
  const byCreator = compareText(lowerHex(a.creator), lowerHex(b.creator));
  if (byCreator !== 0) return byCreator;
  return a.trackId < b.trackId ? -1 : a.trackId > b.trackId ? 1 : 0;
}
