import { isAddress, isHex, size, type Hex } from "viem";
import type { Play } from "./eip712.js";
import { DuplicatePlayError, EmptyBatchError, InvalidPlayError } from "./errors.js";
import { lowerHex } from "./hex.js";

/**
 * A listener's EIP-712 `Play` (README, "Signed messages") with the signature it came with: the form batches, leaves,
 * snapshots and the database hold. Integer widths follow the Solidity type: uint256 and uint64 as bigint, uint32 as
 * number.
 */
export type SignedPlay = Play & { signature: Hex };

const MAX_UINT256 = 2n ** 256n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;
const MAX_UINT32 = 2 ** 32 - 1;

/** Throws `InvalidPlayError` unless every field fits its Solidity type, so hashing can never fail half-way. */
export function assertSignedPlay(play: SignedPlay): void {
  if (!isAddress(play.listener, { strict: false })) throw new InvalidPlayError("listener", "not an address");
  if (play.trackId < 0n || play.trackId > MAX_UINT256) throw new InvalidPlayError("trackId", "outside uint256");
  if (play.startedAt < 0n || play.startedAt > MAX_UINT64) throw new InvalidPlayError("startedAt", "outside uint64");
  if (!Number.isInteger(play.durationSeconds) || play.durationSeconds < 0 || play.durationSeconds > MAX_UINT32) {
    throw new InvalidPlayError("durationSeconds", "outside uint32");
  }
  if (!isHex(play.nonce, { strict: true }) || size(play.nonce) !== 32) throw new InvalidPlayError("nonce", "not 32 bytes");
  // Any non-empty byte string hashes; the signature's validity was checked at ingestion, not here.
  if (!isHex(play.signature, { strict: true }) || size(play.signature) === 0) {
    throw new InvalidPlayError("signature", "not a non-empty hex byte string");
  }
}

/** The play with every hex field in lowercase: the one spelling the snapshot and the sort use. */
export function normalizePlay(play: SignedPlay): SignedPlay {
  return {
    listener: lowerHex(play.listener),
    trackId: play.trackId,
    startedAt: play.startedAt,
    durationSeconds: play.durationSeconds,
    nonce: lowerHex(play.nonce),
    signature: lowerHex(play.signature),
  };
}

/**
 * The canonical order of plays in a batch: by trackId, then listener, then nonce (hex compared in lowercase).
 * (listener, nonce) is unique in a batch, so the order is total and the same batch always lists the same way.
 */
export function comparePlays(a: SignedPlay, b: SignedPlay): number {
  if (a.trackId !== b.trackId) return a.trackId < b.trackId ? -1 : 1;
  return compareText(lowerHex(a.listener), lowerHex(b.listener)) || compareText(lowerHex(a.nonce), lowerHex(b.nonce));
}

/**
 * Validates, normalizes and sorts a batch's plays canonically. Throws `EmptyBatchError` for no plays and
 * `DuplicatePlayError` when two share (listener, nonce), which would count one play twice.
 */
export function canonicalPlays(plays: readonly SignedPlay[]): SignedPlay[] {
  if (plays.length === 0) throw new EmptyBatchError();
  const sorted = plays
    .map((play) => {
      assertSignedPlay(play);
      return normalizePlay(play);
    })
    .sort(comparePlays);
  const seen = new Set<string>();
  for (const play of sorted) {
    const key = `${play.listener}:${play.nonce}`;
    if (seen.has(key)) throw new DuplicatePlayError(play.listener, play.nonce);
    seen.add(key);
  }
  return sorted;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
