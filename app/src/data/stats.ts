/**
 * The relayer's analytics API (docs/engagement.md, "Statistics"): an artist's or a track's all-time totals and, over a
 * range, a zero-filled series with growth against the previous range. The app shows these figures as the API gives
 * them; it computes no statistic of its own.
 */
import { useQuery } from "@tanstack/react-query";
import { useAppConfig } from "../config.ts";
import { getJson } from "./http.ts";

export const RANGES = ["7d", "30d", "90d", "1y"] as const;
export type Range = (typeof RANGES)[number];

export const COUNTERS = ["plays", "listeners", "likes", "saves", "shares", "downloads", "comments", "completes", "skips", "followers"] as const;
export type Counter = (typeof COUNTERS)[number];
type Counts = Record<Counter, number>;

export type Growth = { previous: number; absolute: number; percent: number | null };
/** How plays ended, by the source the client reported (search, playlist, profile, radio, share, other); sorted by source. */
export type SourceCounts = { source: string; completes: number; skips: number }[];
export type StatsWindow = {
  range: string;
  interval: string;
  from: number;
  to: number;
  series: (Counts & { start: number })[];
  totals: Counts & { completionRate: number | null; skipRate: number | null };
  growth: Record<string, Growth> | null;
  /** Over the window: its hours for interval `hour`, else its days. */
  sources: SourceCounts;
};
export type StatsTotals = Counts & { sharesByChannel: Record<string, number>; completionRate: number | null; skipRate: number | null };
export type ArtistStats = {
  artist: string;
  totals: StatsTotals;
  monthlyListeners: number;
  topTracks: { trackId: string; plays: number }[];
  topFans: { fan: string; plays: number; actions: number; score: number }[];
  sources: SourceCounts;
  window?: StatsWindow;
};
export type TrackStats = { trackId: string; creator: string | null; totals: StatsTotals; sources: SourceCounts; window?: StatsWindow };

export function useArtistStats(artist: string, range: Range) {
  const { relayerUrl } = useAppConfig();
  return useQuery({
    queryKey: ["relayer", relayerUrl, "stats", "artist", artist, range],
    queryFn: () => getJson<ArtistStats>(`${relayerUrl}/v1/stats/artists/${artist.toLowerCase()}?range=${range}`),
    refetchInterval: 5_000,
  });
}

export function useTrackStats(trackId: string | undefined) {
  const { relayerUrl } = useAppConfig();
  return useQuery({
    queryKey: ["relayer", relayerUrl, "stats", "track", trackId],
    queryFn: () => getJson<TrackStats>(`${relayerUrl}/v1/stats/tracks/${trackId}`),
    enabled: trackId !== undefined,
    refetchInterval: 5_000,
  });
}

/** Seconds in each range, for windows the app sums itself (revenue, from the indexer's events). */
export const RANGE_SECONDS: Record<Range, number> = { "7d": 7 * 86_400, "30d": 30 * 86_400, "90d": 90 * 86_400, "1y": 365 * 86_400 };
