/**
 * The fan's side of the relayer: the client SDK (`beatstream-protocol/client`) signs plays and engagement with the
 * connected wallet and sends them through its queue; the relayer's reads show the result (likes, saves, follows,
 * playlists, comments, history, docs/engagement.md "Reads"). The app signs nothing itself.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createBeatStreamClient, localStorageStorage, type BeatStreamClient, type ItemResult } from "beatstream-protocol/client";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { Address, Hex } from "viem";
import { useWalletClient } from "wagmi";
import { useAppConfig } from "../config.ts";
import { ApiError, getJson } from "./http.ts";

/** The SDK client of the connected wallet (one per account; closed when the account changes). */
export function useFanClient(): BeatStreamClient | undefined {
  const app = useAppConfig();
  const { data: wallet } = useWalletClient();
  const client = useMemo(
    () =>
      wallet === undefined
        ? undefined
        : createBeatStreamClient({
            relayerUrl: app.relayerUrl,
            chainId: app.chainId,
            musicNFT: app.contracts.MusicNFT,
            wallet,
            // Unsent events survive a reload (and leave by sendBeacon when the page is closed).
            storage: localStorageStorage({ key: `beatstream:queue:${app.chainId}:${wallet.account.address.toLowerCase()}` }),
          }),
    [wallet, app.relayerUrl, app.chainId, app.contracts.MusicNFT],
  );
  useEffect(() => () => void client?.close(), [client]);
  return client;
}

/** What an action answered, in words (the relayer's codes are stable: docs/engagement.md). */
export function describeResult(result: ItemResult): string {
  switch (result.status) {
    case "accepted":
      return result.effect === "unchanged" ? "already so" : "done";
    case "rejected":
      return `refused: ${result.code}${result.message === undefined ? "" : ` (${result.message})`}`;
    case "delivered":
      return "done";
    case "beaconed":
      return "sent as the page closed";
  }
}

export type FanAction = { pending: boolean; last: { label: string; result: string; ok: boolean } | undefined; run: (label: string, action: (client: BeatStreamClient) => Promise<ItemResult>) => Promise<ItemResult | undefined> };

/**
 * Runs one SDK action now (the queue would otherwise wait up to 5 s to batch it), then refetches the relayer's reads.
 * `last` says how it went: "Like: done", "Comment: refused: rate_limited_fan".
 */
export function useFanAction(client: BeatStreamClient | undefined): FanAction {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  const [last, setLast] = useState<FanAction["last"]>();
  const run = useCallback(
    async (label: string, action: (client: BeatStreamClient) => Promise<ItemResult>) => {
      if (client === undefined) {
        setLast({ label, result: "connect a wallet first", ok: false });
        return undefined;
      }
      setPending(true);
      try {
        const answer = action(client);
        void client.flush();
        const result = await answer;
        setLast({ label, result: describeResult(result), ok: result.status !== "rejected" });
        await queryClient.invalidateQueries({ queryKey: ["relayer"] });
        return result;
      } catch (error) {
        setLast({ label, result: error instanceof Error ? error.message : String(error), ok: false });
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [client, queryClient],
  );
  return { pending, last, run };
}

// ------------------------------------------------------------------------------------------ reads

type TrackMark = { trackId: string; issuedAt: string; eventId: string };
export type FanPlaylist = { id: Hex; name: string; public: boolean; createdAt: string; updatedAt: string; tracks: number; eventId: string };
export type Playlist = { id: Hex; owner: string; name: string; public: boolean; createdAt: string; updatedAt: string; tracks: string[] };
export type Comment = { id: Hex; fan: string; body: string; positionSeconds: number | null; issuedAt: string; eventId: string };
export type HistoryItem = {
  playId: string;
  trackId: string;
  startedAt: string;
  durationSeconds: number;
  outcome: { action: "play_complete" | "play_skip"; source: string; seconds: number; sessionId: Hex; issuedAt: string } | null;
};

function useRelayer<T>(path: string | undefined, options: { headers?: Record<string, string>; refetchInterval?: number } = {}) {
  const { relayerUrl } = useAppConfig();
  return useQuery({
    queryKey: ["relayer", relayerUrl, path, options.headers?.authorization ?? ""],
    queryFn: () => getJson<T>(`${relayerUrl}${path}`, options.headers === undefined ? undefined : { headers: options.headers }),
    enabled: path !== undefined,
    refetchInterval: options.refetchInterval ?? 5_000,
  });
}

const fanPath = (fan: string | undefined, what: string) => (fan === undefined ? undefined : `/v1/fans/${fan.toLowerCase()}/${what}?limit=100`);
export const useFanLikes = (fan: string | undefined) => useRelayer<{ tracks: TrackMark[] }>(fanPath(fan, "likes"));
export const useFanSaves = (fan: string | undefined) => useRelayer<{ tracks: TrackMark[] }>(fanPath(fan, "saves"));
export const useFanFollows = (fan: string | undefined) => useRelayer<{ artists: { artist: string; issuedAt: string }[] }>(fanPath(fan, "follows"));
export const useFanHistory = (fan: string | undefined) => useRelayer<{ plays: HistoryItem[] }>(fanPath(fan, "history"));
export const useFanPlaylists = (fan: string | undefined, proof: string | undefined) =>
  useRelayer<{ playlists: FanPlaylist[] }>(fanPath(fan, "playlists"), proof === undefined ? {} : { headers: { authorization: proof } });
export const usePlaylist = (id: Hex | undefined, proof: string | undefined) =>
  useRelayer<Playlist>(id === undefined ? undefined : `/v1/playlists/${id}`, proof === undefined ? {} : { headers: { authorization: proof } });
export const useComments = (trackId: string | undefined) => useRelayer<{ comments: Comment[] }>(trackId === undefined ? undefined : `/v1/tracks/${trackId}/comments?limit=50`);
export const useTrackPlays = (trackId: string | undefined) => useRelayer<{ trackId: string; committed: string; pending: string }>(trackId === undefined ? undefined : `/v1/tracks/${trackId}/plays`, { refetchInterval: 3_000 });

/** `GET /v1/config`: the relayer's milestone thresholds and qualifying play time (null milestones: no batcher there). */
export type RelayerSettings = { chainId: number; minPlaySeconds: number; milestones: { plays: string; followers: string; revenue: string } | null };
export const useRelayerSettings = () => useRelayer<RelayerSettings>("/v1/config", { refetchInterval: 60_000 });

/** Streaming balances (docs/stream.md, HTTP): the vault balance read now, minus vouchers not yet settled. */
export type ListenerBalance = { listener: string; balance: string; pendingWithdrawal: string; unsettled: string; available: string };
export const useListenerBalance = (listener: string | undefined) => useRelayer<ListenerBalance>(listener === undefined ? undefined : `/v1/listeners/${listener.toLowerCase()}/balance`, { refetchInterval: 3_000 });
export type ArtistEarnings = { artist: string; settled: string; pending: string; sessions: number; withdrawable: string };
export const useArtistEarnings = (artist: string | undefined) => useRelayer<ArtistEarnings>(artist === undefined ? undefined : `/v1/artists/${artist.toLowerCase()}/earnings`);

// -------------------------------------------------------------------------------------- read proof

const PROOF_DAYS = 1;

/**
 * The owner's read-access proof for private playlists (docs/engagement.md): one `personal_sign` per day and
 * account, kept for this browser session only (it is a bearer credential until it expires).
 */
export function useReadProof(account: Address | undefined) {
  const { data: wallet } = useWalletClient();
  const key = account === undefined ? undefined : `beatstream:read-proof:${account.toLowerCase()}`;
  const stored = () => {
    if (key === undefined) return undefined;
    const value = sessionStorage.getItem(key);
    const expiry = Number(value?.match(/^BeatStream (\d+)\./)?.[1] ?? 0);
    return expiry > Date.now() / 1000 + 60 ? (value ?? undefined) : undefined;
  };
  const [proof, setProof] = useState<string | undefined>(stored);
  useEffect(() => setProof(stored()), [key]);
  const [error, setError] = useState<string>();
  const sign = useCallback(async () => {
    if (wallet === undefined || key === undefined) return;
    const expiry = Math.floor(Date.now() / 1000) + PROOF_DAYS * 86_400;
    try {
      const signature = await wallet.signMessage({ account: wallet.account, message: `BeatStream read access for ${wallet.account.address.toLowerCase()} until ${expiry}` });
      const value = `BeatStream ${expiry}.${signature}`;
      sessionStorage.setItem(key, value);
      setProof(value);
      setError(undefined);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message.split("\n")[0] : String(cause));
    }
  }, [wallet, key]);
  return { proof, sign, error };
}

/** A relayer refusal of a read, for the page to show. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}
