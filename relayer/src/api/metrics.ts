import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../repo/db/database.js";
import { REJECTION_CODES } from "../plays/ingest.js";
import { ENGAGEMENT_REJECTION_CODES } from "../engagement/ingest.js";
import { countPendingPlays } from "../repo/plays.js";

export type RelayerMetrics = {
  registry: Registry;
  playsAccepted: Counter;
  playsRejected: Counter<"code">;
  engagementAccepted: Counter<"effect">;
  engagementRejected: Counter<"code">;
  requestDuration: Histogram<"method" | "route" | "status">;
  batchStepDuration: Histogram<"step">;
  chainErrors: Counter<"kind">;
  storageErrors: Counter;
};

export type CreateMetricsParameters = { db: Database };

/**
 * One registry per app (not prom-client's global one), so several apps in one process — tests, or a relayer
 * beside other services — never collide on metric names.
 */
export function createMetrics({ db }: CreateMetricsParameters): RelayerMetrics {
  const registry = new Registry();
  const playsAccepted = new Counter({
    name: "relayer_plays_accepted_total",
    help: "Signed plays accepted and durably stored",
    registers: [registry],
  });
  const playsRejected = new Counter({
    name: "relayer_plays_rejected_total",
    help: "Signed plays rejected, by rejection code",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  // Every code appears at 0 from the start, so a dashboard's rate() sees the first rejection of each kind.
  for (const code of REJECTION_CODES) playsRejected.inc({ code }, 0);
  new Gauge({
    name: "relayer_plays_pending",
    help: "Accepted plays not yet committed on chain",
    registers: [registry],
    async collect() {
      this.set(await countPendingPlays(db));
    },
  });
  const requestDuration = new Histogram({
    name: "relayer_http_request_duration_seconds",
    help: "HTTP request duration by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const batchStepDuration = new Histogram({
    name: "relayer_batch_step_duration_seconds",
    help: "Duration of each batcher step (seal, store, submit, confirm, milestones), failed ones included",
    labelNames: ["step"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const chainErrors = new Counter({
    name: "relayer_chain_errors_total",
    help: "Chain failures by kind: rpc (a failed RPC attempt, retried), revert (a decoded revert), timeout (no receipt in time)",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  for (const kind of ["rpc", "revert", "timeout"]) chainErrors.inc({ kind }, 0);
  const storageErrors = new Counter({
    name: "relayer_storage_errors_total",
    help: "Snapshot store puts that failed (after the store's own retries)",
    registers: [registry],
  });
  const engagementAccepted = new Counter({
    name: "relayer_engagement_accepted_total",
    help: "Signed engagement events accepted and durably stored, by effect (applied, unchanged)",
    labelNames: ["effect"] as const,
    registers: [registry],
  });
  for (const effect of ["applied", "unchanged"]) engagementAccepted.inc({ effect }, 0);
  const engagementRejected = new Counter({
    name: "relayer_engagement_rejected_total",
    help: "Signed engagement events rejected, by rejection code",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  for (const code of ENGAGEMENT_REJECTION_CODES) engagementRejected.inc({ code }, 0);
  return { registry, playsAccepted, playsRejected, engagementAccepted, engagementRejected, requestDuration, batchStepDuration, chainErrors, storageErrors };
}
