import lighthouse from "@lighthouse-web3/sdk";
import { lighthouseConfig } from "@lighthouse-web3/sdk/dist/lighthouse.config.js";
import { z } from "zod";
import { cidOf, parseCid, pieceCidOf } from "../evidence/cid.js";
import { InvalidCidError } from "../evidence/errors.js";
import { SnapshotCorruptError, SnapshotNotFoundError, StoreBadResponseError, StoreCidMismatchError, StoreConfigError } from "./errors.js";
import { retry, withTimeout } from "./retry.js";
import type { SnapshotStore, StoredSnapshot } from "./snapshot-store.js";

export interface LighthouseStoreParameters {
  apiKey: string;
  /** Deadline of one attempt (upload, gateway read). Default 30 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First retry waits this long, doubling each time. Default 500 ms. */
  backoffMs?: number;
  /** IPFS gateway that `get` and `has` read from. Default Lighthouse's. */
  gatewayUrl?: string;
  /** Upload node (the SDK's `lighthouseNode`), e.g. a local stand-in. Default the SDK's. */
  nodeUrl?: string;
  /** Lighthouse API (the SDK's `lighthouseAPI`). Default the SDK's. */
  apiUrl?: string;
}

export const DEFAULT_LIGHTHOUSE_GATEWAY = "https://gateway.lighthouse.storage";

/** Lighthouse's Kubo-style `/api/v0/add` answer, as `uploadBuffer` hands it back. */
const uploadAnswer = z.object({ data: z.object({ Name: z.string(), Hash: z.string(), Size: z.union([z.string(), z.number()]) }) });

/**
 * Snapshots on Filecoin through Lighthouse (`@lighthouse-web3/sdk` `uploadBuffer`, CIDv1). The CID and piece CID
 * are computed here before uploading; an upload answered with another CID is refused (`StoreCidMismatchError`),
 * since the chain must commit the CID of exactly these bytes. Each attempt has a deadline (the SDK has none) and
 * transient failures are retried with backoff; before re-uploading, the gateway is asked whether the previous
 * attempt landed after all (a timed-out upload often did), so a late answer does not cause a second write.
 */
export class LighthouseStore implements SnapshotStore {
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly gatewayUrl: string;
  private readonly nodeUrl: string | undefined;
  private readonly apiUrl: string | undefined;
  /** CIDs this process has seen accepted, so a repeated put (a batcher resuming its store step) uploads nothing. */
  private readonly uploaded = new Set<string>();

  constructor({ apiKey, timeoutMs = 30_000, retries = 3, backoffMs = 500, gatewayUrl = DEFAULT_LIGHTHOUSE_GATEWAY, nodeUrl, apiUrl }: LighthouseStoreParameters) {
    if (apiKey.trim() === "") throw new StoreConfigError("apiKey", "LighthouseStore needs a Lighthouse API key");
    if (!(timeoutMs > 0)) throw new StoreConfigError("timeoutMs", `must be positive, got ${timeoutMs}`);
    if (!Number.isInteger(retries) || retries < 0) throw new StoreConfigError("retries", `must be a whole number ≥ 0, got ${retries}`);
    if (!(backoffMs >= 0)) throw new StoreConfigError("backoffMs", `must be ≥ 0, got ${backoffMs}`);
    for (const [setting, url] of Object.entries({ gatewayUrl, nodeUrl, apiUrl })) {
      if (url !== undefined && !URL.canParse(url)) throw new StoreConfigError(setting, `not a URL: ${url}`);
    }
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
    this.attempts = retries + 1;
    this.backoffMs = backoffMs;
    this.gatewayUrl = gatewayUrl.replace(/\/+$/, "");
    this.nodeUrl = nodeUrl;
    this.apiUrl = apiUrl;
  }

  async put(bytes: Uint8Array): Promise<StoredSnapshot> {
    const cid = await cidOf(bytes);
    const stored = { cid, pieceCid: pieceCidOf(bytes), size: bytes.length };
    if (this.uploaded.has(cid)) return stored;
    await retry({
      // The SDK's errors drop the URL (and the cause); naming the node here keeps the final error actionable.
      operation: `lighthouse upload of ${cid} to ${this.nodeUrl ?? lighthouseConfig.lighthouseNode}`,
      attempts: this.attempts,
      backoffMs: this.backoffMs,
      run: async (attempt) => {
        if (attempt > 1 && (await this.landed(cid))) return;
        const answer = await withTimeout({ operation: "lighthouse upload", timeoutMs: this.timeoutMs, run: () => this.upload(bytes) });
        const parsed = uploadAnswer.safeParse(answer);
        if (!parsed.success) throw new StoreBadResponseError("upload answer is not { data: { Name, Hash, Size } }");
        let remote: string;
        try {
          remote = parseCid(parsed.data.data.Hash);
        } catch (error) {
          if (error instanceof InvalidCidError) throw new StoreCidMismatchError(cid, parsed.data.data.Hash);
          throw error;
        }
        if (remote !== cid) throw new StoreCidMismatchError(cid, remote);
      },
    });
    this.uploaded.add(cid);
    return stored;
  }

  async get(cid: string): Promise<Uint8Array> {
    const canonical = parseCid(cid);
    const bytes = await retry({
      operation: `gateway read of ${canonical} from ${this.gatewayUrl}`,
      attempts: this.attempts,
      backoffMs: this.backoffMs,
      run: () =>
        withTimeout({
          operation: "gateway read",
          timeoutMs: this.timeoutMs,
          run: async (signal) => {
            const response = await fetch(this.gatewayPath(canonical), { signal });
            if (response.status === 404) throw new SnapshotNotFoundError(canonical);
            if (!response.ok) throw new Error(`gateway answered HTTP ${response.status}`);
            return new Uint8Array(await response.arrayBuffer());
          },
        }),
    });
    const actual = await cidOf(bytes);
    if (actual !== canonical) throw new SnapshotCorruptError(canonical, actual);
    return bytes;
  }

  async has(cid: string): Promise<boolean> {
    const canonical = parseCid(cid);
    return retry({
      operation: `gateway lookup of ${canonical} on ${this.gatewayUrl}`,
      attempts: this.attempts,
      backoffMs: this.backoffMs,
      run: () => this.head(canonical),
    });
  }

  /** One HEAD on the gateway: true for 2xx, false for 404, an error for anything else. */
  private head(cid: string): Promise<boolean> {
    return withTimeout({
      operation: "gateway lookup",
      timeoutMs: this.timeoutMs,
      run: async (signal) => {
        const response = await fetch(this.gatewayPath(cid), { method: "HEAD", signal });
        if (response.ok) return true;
        if (response.status === 404) return false;
        throw new Error(`gateway answered HTTP ${response.status}`);
      },
    });
  }

  /** Whether an earlier attempt stored `cid` after all; any doubt means "no", which at worst uploads again. */
  private async landed(cid: string): Promise<boolean> {
    try {
      return await this.head(cid);
    } catch {
      return false;
    }
  }

  private upload(bytes: Uint8Array): Promise<unknown> {
    // The SDK reads its base URLs from one shared mutable object when the call starts (synchronously, before
    // its first await), so setting them right before each call keeps stores with different URLs apart.
    if (this.nodeUrl !== undefined) lighthouseConfig.lighthouseNode = this.nodeUrl;
    if (this.apiUrl !== undefined) lighthouseConfig.lighthouseAPI = this.apiUrl;
    return lighthouse.uploadBuffer(Buffer.from(bytes), this.apiKey, { cidVersion: 1 });
  }

  private gatewayPath(cid: string): string {
    return `${this.gatewayUrl}/ipfs/${cid}`;
  }
}
