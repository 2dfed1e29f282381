/** One entry of a batch: `delta` plays for `trackId`. */
export interface PlayDelta {
  trackId: bigint;
  delta: bigint;
}

const MAX_TRACK_ID = (1n << 64n) - 1n;
const MAX_DELTA = (1n << 32n) - 1n;

/** Packs deltas as MusicNFT.commitPlays reads them: 8-byte big-endian trackId, 4-byte big-endian delta. */
export function packDeltas(entries: readonly PlayDelta[]): string {
  let hex = "0x";
  for (const { trackId, delta } of entries) {
    if (trackId < 0n || trackId > MAX_TRACK_ID) throw new RangeError(`trackId ${trackId} does not fit 8 bytes`);
    if (delta < 0n || delta > MAX_DELTA) throw new RangeError(`delta ${delta} does not fit 4 bytes`);
    hex += trackId.toString(16).padStart(16, "0") + delta.toString(16).padStart(8, "0");
  }
  return hex;
}
