/**
 * The indexer's reads (docs/indexer.md): REST for coins, candles, holders, earnings, batches, stats; GraphQL for the
 * trade lists REST does not serve. Amounts arrive as decimal strings and stay strings here; pages turn them into
 * bigints where they compute.
 */
import { useQuery, type UseQueryResult } from "@tanstack/react-query";
import { useAppConfig } from "../config.ts";
import { getJson } from "./http.ts";

export type Page<T> = { items: T[]; nextCursor: string | null };

export type Coin = {
  address: string;
  creator: string;
  name: string;
  symbol: string;
  totalSupply: string;
  price: string;
  marketCap: string;
  volumeUsdc: string;
  volume24hUsdc: string;
  trades: number;
  holders: number;
  usdcReserve: string;
  coinReserve: string;
  outstanding: string;
  virtualUsdc: string;
  launchedAt?: string;
};

export type Candle = { time: string; open: string; high: string; low: string; close: string; volumeUsdc: string; volumeCoin: string; trades: number };
export type Holder = { holder: string; balance: string; claimableRevenue: string; claimedRevenue: string };
export type HolderEarning = { coin: string; symbol: string; balance: string; claimable: string; claimed: string; earned: string };
export type Trade = { id: string; coin: string; trader: string; recipient: string; isBuy: boolean; usdcAmount: string; coinAmount: string; fee: string; price: string; timestamp: string; txHash: string; blockNumber: string };
export type IndexedBatch = { id: string; root: string; snapshotCid: string; plays: string; entries?: number; committer: string; txHash: string; blockNumber: string; timestamp: string };
export type Stats = Record<string, unknown> & { tracks: number; plays: string; coins: number; trades: number; volumeUsdc: string; batches: number; launchThreshold: string };
export type TopTrack = { id: string; creator: string; uri: string; plays: string; windowPlays: string };

/** Refetch cadence: the local chain mines every second and the indexer follows within a second or two. */
const LIVE = { refetchInterval: 4_000 } as const;

function useIndexerUrl(): string {
  return useAppConfig().indexerUrl;
}

export function useIndexer<T>(path: string | undefined, options: { live?: boolean } = {}): UseQueryResult<T> {
  const base = useIndexerUrl();
  return useQuery({
    queryKey: ["indexer", base, path],
    queryFn: () => getJson<T>(`${base}${path}`),
    enabled: path !== undefined,
    ...(options.live === false ? {} : LIVE),
  });
}

export function useGraphql<T>(key: unknown[], query: string, variables: Record<string, unknown>, enabled = true): UseQueryResult<T> {
  const base = useIndexerUrl();
  return useQuery({
    queryKey: ["graphql", base, ...key],
    queryFn: async () => {
      const body = await getJson<{ data?: T; errors?: { message: string }[] }>(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      if (body.errors !== undefined && body.errors.length > 0) throw new Error(`indexer GraphQL: ${body.errors.map((error) => error.message).join("; ")}`);
      return body.data as T;
    },
    enabled,
    ...LIVE,
  });
}

export const useCoins = () => useIndexer<Page<Coin>>("/coins?limit=100");
export const useCoin = (address: string) => useIndexer<Coin>(`/coins/${address}`);
export const useCandles = (address: string, interval: "1m" | "1h" | "1d") => useIndexer<Page<Candle> & { interval: string }>(`/coins/${address}/candles?interval=${interval}&limit=1000`);
export const useHolders = (address: string) => useIndexer<Page<Holder>>(`/coins/${address}/holders?limit=10`);
export const useEarnings = (holder: string | undefined) => useIndexer<Page<HolderEarning> & { address: string }>(holder === undefined ? undefined : `/holders/${holder}/earnings?limit=100`);
export const useStats = () => useIndexer<Stats>("/stats");
export const useIndexedBatches = () => useIndexer<Page<IndexedBatch>>("/batches?limit=50");
export const useTopTracks = () => useIndexer<Page<TopTrack>>("/tracks/top?window=all&limit=20");

const TRADE_FIELDS = "id coin trader recipient isBuy usdcAmount coinAmount fee price timestamp txHash blockNumber";

/** The newest trades of one coin. */
export function useCoinTrades(coin: string, limit = 20) {
  return useGraphql<{ trades: { items: Trade[] } }>(
    ["trades", coin, limit],
    `query ($coin: String!, $limit: Int!) { trades(where: { coin: $coin }, orderBy: "timestamp", orderDirection: "desc", limit: $limit) { items { ${TRADE_FIELDS} } } }`,
    { coin: coin.toLowerCase(), limit },
  );
}

/** Every trade that moved coins to or from `account` (buys it received, sells it made), oldest first. */
export function useAccountTrades(account: string | undefined) {
  const who = account?.toLowerCase() ?? "";
  return useGraphql<{ bought: { items: Trade[] }; sold: { items: Trade[] } }>(
    ["account-trades", who],
    `query ($who: String!) {
      bought: trades(where: { recipient: $who, isBuy: true }, orderBy: "timestamp", orderDirection: "asc", limit: 1000) { items { ${TRADE_FIELDS} } }
      sold: trades(where: { trader: $who, isBuy: false }, orderBy: "timestamp", orderDirection: "asc", limit: 1000) { items { ${TRADE_FIELDS} } }
    }`,
    { who },
    account !== undefined,
  );
}
