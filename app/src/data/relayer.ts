/** The relayer's reads the operator page needs: batches (with their pipeline status), health, metrics, a batch's snapshot. */
import { useQuery } from "@tanstack/react-query";
import { useAppConfig } from "../config.ts";
import { ApiError, getJson } from "./http.ts";

export type RelayerBatch = {
  id: string;
  status: "open" | "sealed" | "stored" | "submitted" | "committed";
  plays: number;
  tracks: number;
  root: string | null;
  previousCid: string | null;
  cid: string | null;
  pieceCid: string | null;
  txHash: string | null;
  block: string | null;
  sealedAt: string | null;
  committedAt: string | null;
  lastError: string | null;
};

export type Health = { status: "ok" | "unavailable"; checks: Record<string, string> };

export function useRelayerBatches() {
  const { relayerUrl } = useAppConfig();
  return useQuery({ queryKey: ["relayer", relayerUrl, "batches"], queryFn: () => getJson<{ batches: RelayerBatch[] }>(`${relayerUrl}/v1/batches?limit=50`), refetchInterval: 4_000 });
}

export function useRelayerHealth() {
  const { relayerUrl } = useAppConfig();
  return useQuery({
    queryKey: ["relayer", relayerUrl, "health"],
    // 503 still carries the checks: show which one failed.
    queryFn: async () => {
      const response = await fetch(`${relayerUrl}/healthz`).catch(() => undefined);
      if (response === undefined) return { status: "unavailable", checks: { relayer: "unreachable" } } satisfies Health;
      return (await response.json()) as Health;
    },
    refetchInterval: 5_000,
  });
}

/** Prometheus text → the value of each unlabelled sample (and labelled ones under their full name). */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^(\S+)\s+(\S+)/.exec(line);
    if (match !== null) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

export function useRelayerMetrics() {
  const { relayerUrl } = useAppConfig();
  return useQuery({
    queryKey: ["relayer", relayerUrl, "metrics"],
    queryFn: async () => {
      const response = await fetch(`${relayerUrl}/metrics`);
      if (!response.ok) throw new ApiError(response.status, "metrics", `metrics answered ${response.status}`);
      return parseMetrics(await response.text());
    },
    refetchInterval: 5_000,
  });
}

/** The stored snapshot of a batch, byte for byte, with the CID the relayer says it has. */
export async function fetchSnapshot(relayerUrl: string, batchId: string): Promise<{ bytes: Uint8Array; cid: string | null }> {
  const response = await fetch(`${relayerUrl}/v1/batches/${batchId}/snapshot`);
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
    throw new ApiError(response.status, body?.error?.code ?? "http_error", body?.error?.message ?? `snapshot answered ${response.status}`);
  }
  return { bytes: new Uint8Array(await response.arrayBuffer()), cid: response.headers.get("x-snapshot-cid") };
}
