import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Batcher } from "../pipeline/batches.js";
import type { ChainReader } from "../chain/reader.js";
import type { Database } from "../repo/db/database.js";
import type { IngestRules } from "../plays/ingest.js";
import type { TrackCatalog } from "../plays/tracks.js";
import type { PlaySignatureChecker } from "../crypto/signatures.js";
import type { SnapshotStore } from "../stores/snapshot-store.js";
import type { EngagementVerifier } from "../crypto/engagement.js";
import type { ArtistCatalog } from "../engagement/artists.js";
import type { EngagementRules } from "../engagement/ingest.js";
import type { StreamService } from "../stream/service.js";
import type { RelayerMetrics } from "./metrics.js";

/** The thresholds of the commit's `updateCreatorMetrics` (docs/engagement.md, "Milestones"), as `GET /v1/config` shows them. */
export type PublicMilestones = { plays: bigint; followers: bigint; revenue: bigint };

/** Everything the routes need, built once by `createApp` and handed to each route file. */
export type AppDependencies = {
  db: Database;
  chainId: number;
  reader: Pick<ChainReader, "playCount" | "chainId">;
  tracks: Pick<TrackCatalog, "minted">;
  verifier: PlaySignatureChecker;
  metrics: RelayerMetrics;
  rules: IngestRules;
  maxPlaysPerRequest: number;
  bodyLimitBytes: number;
  operatorApiKey: string | undefined;
  /** Signed fan events (`POST /v1/engagement`) and the reads over them. */
  engagement: EngagementDependencies;
  trustProxy: boolean;
  /** Unix seconds; tests pin it. */
  now: () => number;
  /** Runs `POST /v1/admin/flush`; absent, the route answers `batcher_disabled`. */
  batcher?: Pick<Batcher, "runCycle">;
  /** Where committed batches' snapshots are read back (`GET /v1/batches/:id/snapshot`); absent, that route answers `store_unavailable`. */
  snapshots?: Pick<SnapshotStore, "get">;
  /** Origins browsers may call from (`CORS_ORIGINS`); default any ("*"). */
  corsOrigins?: readonly string[];
  /** Pay-per-second streaming; absent (no BeatStreamVault deployed), its routes are not mounted. */
  stream?: StreamService;
  /** The milestone thresholds the batcher reports by, shown by `GET /v1/config`; absent when no batcher runs. */
  milestones?: PublicMilestones;
};

export type EngagementDependencies = {
  verifier: Pick<EngagementVerifier, "check">;
  artists: ArtistCatalog;
  rules: EngagementRules;
  maxEventsPerRequest: number;
};

/**
 * The client address the per-IP limit counts. X-Forwarded-For is honoured only when the operator says a proxy of
 * theirs sets it; otherwise any client could pick its own address and escape the limit.
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // app.request() in tests has no socket.
    return "unknown";
  }
}
