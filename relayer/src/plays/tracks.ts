import type { Address } from "viem";
import type { ChainReader } from "../chain/reader.js";

export type TrackCatalog = {
  /** The subset of `trackIds` that MusicNFT has minted. */
  minted(trackIds: Iterable<bigint>): Promise<Set<bigint>>;
  /** The creator of a minted track, read once and cached (it never changes). */
  creatorOf(trackId: bigint): Promise<Address>;
};

export type CreateTrackCatalogParameters = {
  reader: Pick<ChainReader, "totalTracks" | "creatorOf">;
  /** Least time between two refreshes caused by unknown ids, so junk ids cannot turn into an RPC flood. */
  refreshIntervalMs: number;
  now?: () => number;
};

/**
 * Which tracks exist, without a chain read per play. Track ids are sequential from 1 and tracks are never
 * burned, so `totalTracks` alone answers "minted?"; it only grows, so the cache refreshes on a miss.
 */
export function createTrackCatalog({ reader, refreshIntervalMs, now = Date.now }: CreateTrackCatalogParameters): TrackCatalog {
  let total = 0n;
  let lastRefresh = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;
  const creators = new Map<bigint, Address>();

  const refresh = () => {
    // Concurrent requests that miss at once share one RPC call.
    refreshing ??= reader
      .totalTracks()
      .then((value) => {
        if (value > total) total = value;
        lastRefresh = now();
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  return {
    async minted(trackIds) {
      const ids = [...trackIds];
      const beyond = ids.some((id) => id > total);
      if (beyond && (refreshing !== undefined || now() - lastRefresh >= refreshIntervalMs)) await refresh();
      return new Set(ids.filter((id) => id >= 1n && id <= total));
    },
    async creatorOf(trackId) {
      const cached = creators.get(trackId);
      if (cached !== undefined) return cached;
      const creator = await reader.creatorOf(trackId);
      if (BigInt(creator) !== 0n) creators.set(trackId, creator);
      return creator;
    },
  };
}
