/**
 * The catalogue: the indexer's tracks (GET /tracks, by id) with what their metadata URI says where it resolves in a
 * browser (an http(s) or data: URI holding JSON with a name, an artist and an audio URL); an ipfs:// or other URI
 * that does not resolve here leaves the track as "Track #id" with no media (the player then plays a generated tone).
 */
import { useQueries } from "@tanstack/react-query";
import { useIndexer, type Page } from "./indexer.ts";

export type IndexedTrack = { id: string; creator: string; owner: string; uri: string; royaltyReceiver: string; royaltyBps: number; plays: string; mintedAt: string };
export type TrackMetadata = { title?: string; artist?: string; audio?: string; image?: string };
export type CatalogTrack = IndexedTrack & { title: string; artistName?: string; audio?: string; metadataResolved: boolean };

/** Metadata a browser can read without a gateway. */
export function resolvableUri(uri: string): boolean {
  return /^(https?:|data:application\/json)/i.test(uri);
}

const MEDIA = /^(https?:|data:audio\/)/i;

/** ERC-721 metadata JSON as the app reads it: `name`/`title`, `artist`/`artist_name`, `animation_url`/`audio`. */
export function parseMetadata(json: unknown): TrackMetadata {
  if (typeof json !== "object" || json === null) return {};
  const record = json as Record<string, unknown>;
  const text = (...keys: string[]) => keys.map((key) => record[key]).find((value): value is string => typeof value === "string" && value.trim() !== "");
  const audio = text("animation_url", "audio", "audio_url");
  const title = text("name", "title");
  const artist = text("artist", "artist_name");
  const image = text("image");
  return { ...(title === undefined ? {} : { title: title.slice(0, 200) }), ...(artist === undefined ? {} : { artist: artist.slice(0, 200) }), ...(audio !== undefined && MEDIA.test(audio) ? { audio } : {}), ...(image === undefined ? {} : { image }) };
}

async function fetchMetadata(uri: string): Promise<TrackMetadata> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5_000);
  try {
    const response = await fetch(uri, { signal: controller.signal });
    if (!response.ok) return {};
    return parseMetadata(await response.json());
  } catch {
    return {};
  } finally {
    clearTimeout(timer);
  }
}

/** The metadata-URI JSON for a new track (a data: URI: nothing to host; any gateway-free reader resolves it). */
export function metadataUri(metadata: { title: string; artist?: string; audio?: string }): string {
  const json = JSON.stringify({ name: metadata.title, ...(metadata.artist ? { artist: metadata.artist } : {}), ...(metadata.audio ? { animation_url: metadata.audio } : {}) });
  return `data:application/json;charset=utf-8,${encodeURIComponent(json)}`;
}

export function withMetadata(track: IndexedTrack, metadata: TrackMetadata | undefined): CatalogTrack {
  return {
    ...track,
    title: metadata?.title ?? `Track #${track.id}`,
    ...(metadata?.artist === undefined ? {} : { artistName: metadata.artist }),
    ...(metadata?.audio === undefined ? {} : { audio: metadata.audio }),
    metadataResolved: metadata?.title !== undefined,
  };
}

/** Up to `limit` tracks (of one creator, or all) with their metadata where it resolves. */
export function useCatalog(options: { creator?: string; limit?: number } = {}) {
  const path = `/tracks?limit=${options.limit ?? 100}${options.creator === undefined ? "" : `&creator=${options.creator.toLowerCase()}`}`;
  const tracks = useIndexer<Page<IndexedTrack>>(path);
  const items = tracks.data?.items ?? [];
  const metadata = useQueries({
    queries: items.map((track) => ({
      queryKey: ["metadata", track.uri],
      queryFn: () => fetchMetadata(track.uri),
      enabled: resolvableUri(track.uri),
      staleTime: Infinity,
    })),
  });
  const catalog = items.map((track, index) => withMetadata(track, metadata[index]?.data));
  return { ...tracks, catalog };
}

/** Search by title, artist name, artist address or track id (case-insensitive, every word must match). */
export function searchTracks(tracks: CatalogTrack[], query: string): CatalogTrack[] {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word !== "");
  if (words.length === 0) return tracks;
  return tracks.filter((track) => {
    const haystack = `${track.title} ${track.artistName ?? ""} ${track.creator} #${track.id}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}
