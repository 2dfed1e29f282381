import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCid } from "../evidence/cid.js";

/**
 * Where an audit reads snapshot bytes from. Unlike `SnapshotStore.get`, a source hands back the bytes exactly as
 * found, without checking them against the CID: the audit recomputes the CID itself and reports a mismatch as one
 * difference among others, instead of stopping at the store's refusal and hiding what else was changed.
 */
export interface SnapshotSource {
  /** Human-readable location, for messages ("snapshot X not found in <where>"). */
  readonly where: string;
  /** The bytes stored under `cid`, or undefined when there are none. */
  fetch(cid: string): Promise<Uint8Array | undefined>;
}

export type LocalSnapshotSourceParameters = { dir: string };

/** The files of a `LocalCasStore` directory (named by CID). */
export function localSnapshotSource({ dir }: LocalSnapshotSourceParameters): SnapshotSource {
  return {
    where: dir,
    async fetch(cid) {
      try {
        // parseCid first: its base32 alphabet cannot name a path outside `dir`.
        return new Uint8Array(await readFile(join(dir, parseCid(cid))));
      } catch (error) {
        if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
        throw error;
      }
    },
  };
}

export type GatewaySnapshotSourceParameters = {
  /** An IPFS HTTP gateway, e.g. Lighthouse's `https://gateway.lighthouse.storage`. */
  gatewayUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

/** Snapshots as an IPFS gateway serves them at `/ipfs/<cid>` (where `LighthouseStore` reads them back). */
export function gatewaySnapshotSource({ gatewayUrl, fetch: fetchFn = fetch, timeoutMs = 30_000 }: GatewaySnapshotSourceParameters): SnapshotSource {
  const base = gatewayUrl.replace(/\/+$/, "");
  return {
    where: base,
    async fetch(cid) {
      const response = await fetchFn(`${base}/ipfs/${parseCid(cid)}`, { signal: AbortSignal.timeout(timeoutMs) });
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`gateway ${base} answered ${response.status} for ${cid}`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
