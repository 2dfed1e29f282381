import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { NotFoundError, publicErrorOf, RelayerError } from "../errors.js";
import { createLogger, type Logger } from "../log.js";
import type { AppDependencies } from "./context.js";
import { requestLog, requestTimer } from "./middleware.js";
import { createRouter, serveDocs } from "./openapi.js";
import { adminRoutes } from "./routes/admin.js";
import { batchesRoutes } from "./routes/batches.js";
import { configRoutes } from "./routes/config.js";
import { engagementRoutes, fansRoutes, playlistsRoutes, trackCommentsRoutes } from "./routes/engagement.js";
import { healthRoutes } from "./routes/health.js";
import { metricsRoutes } from "./routes/metrics.js";
import { playsRoutes } from "./routes/plays.js";
import { sessionsRoutes, vouchersRoutes } from "./routes/sessions.js";
import { statsRoutes } from "./routes/stats.js";
import { streamSocketRoutes } from "./routes/stream.js";
import { artistsRoutes, listenersRoutes, settlementAdminRoutes, settlementsRoutes } from "./routes/stream-accounts.js";
import { tracksRoutes } from "./routes/tracks.js";

export type CreateAppParameters = AppDependencies & {
  /** Request lines (with `reqId`, `route`, `status`, `durationMs`) and unexpected errors; default: errors to stderr only. */
  logger?: Logger;
  /** Where unexpected errors go besides the logger; the client only ever sees `internal_error`. */
  logError?: (error: unknown) => void;
};

/**
 * The relayer's HTTP API. Every failure leaves as `{ "error": { "code", "message" } }`; every REST route is described
 * by `GET /openapi.json` (OpenAPI 3.1, from the zod schemas that validate its input), browsable at `GET /docs`.
 */
export function createApp({ logger = createLogger({ level: "error" }), logError, ...deps }: CreateAppParameters) {
  const reportError = (error: unknown, reqId: string | undefined) => {
    if (logError !== undefined) logError(error);
    else logger.error({ err: error, reqId }, "request failed");
  };
  const app = createRouter();
  // Browsers (the web app on its own origin) may call every route; operator routes still need the bearer key, which
  // a page can only send when its user typed it, so "*" opens nothing a script could not already reach.
  const origins = deps.corsOrigins ?? ["*"];
  app.use(cors({ origin: origins.includes("*") ? "*" : [...origins], allowHeaders: ["content-type", "authorization"], exposeHeaders: ["x-snapshot-cid"], maxAge: 86_400 }));
  app.use(requestLog(logger));
  app.use(requestTimer(deps.metrics));
  app.route("/v1/plays", playsRoutes(deps));
  app.route("/v1/tracks", tracksRoutes(deps));
  app.route("/v1/engagement", engagementRoutes(deps));
  app.route("/v1/tracks", trackCommentsRoutes(deps));
  app.route("/v1/playlists", playlistsRoutes(deps));
  app.route("/v1/fans", fansRoutes(deps));
  app.route("/v1/batches", batchesRoutes(deps));
  app.route("/v1/admin", adminRoutes(deps));
  app.route("/v1/stats", statsRoutes(deps));
  if (deps.stream !== undefined) {
    const streamDeps = { db: deps.db, stream: deps.stream };
    app.route("/v1/stream", streamSocketRoutes(deps.stream));
    app.route("/v1/sessions", sessionsRoutes(streamDeps));
    app.route("/v1/vouchers", vouchersRoutes(streamDeps));
    app.route("/v1/listeners", listenersRoutes(streamDeps));
    app.route("/v1/artists", artistsRoutes(streamDeps));
    app.route("/v1/settlements", settlementsRoutes(streamDeps));
    app.route("/v1/admin/settlements", settlementAdminRoutes({ stream: deps.stream, operatorApiKey: deps.operatorApiKey }));
  }
  app.route("/v1/config", configRoutes(deps));
  app.route("/healthz", healthRoutes(deps));
  app.route("/metrics", metricsRoutes(deps));
  serveDocs(app, {
    title: "BeatStream relayer",
    version: "1",
    description: "Signed plays and fan engagement in, Merkle-batched commits out; pay-per-second streaming sessions. Errors: `{ \"error\": { \"code\", \"message\" } }`.",
  });
  app.notFound((c) => {
    const error = new NotFoundError(`route ${c.req.method} ${c.req.path}`);
    return c.json({ error: { code: error.code, message: error.message } }, 404);
  });
  app.onError((error, c) => {
    if (error instanceof RelayerError) {
      const { code, message, status } = publicErrorOf(error);
      if (status >= 500) reportError(error, c.get("requestId"));
      return c.json({ error: { code, message } }, status);
    }
    // Hono's own exceptions (e.g. a method the route does not allow) keep their status under a generic code.
    if (error instanceof HTTPException && error.status < 500) {
      return c.json({ error: { code: "bad_request", message: error.message } }, statusOf(error.status));
    }
    reportError(error, c.get("requestId"));
    return c.json({ error: { code: "internal_error", message: "internal error" } }, 500);
  });
  return app;
}

function statusOf(status: number) {
  // c.json wants a literal status type; Hono's client errors are standard ones.
  switch (status) {
    case 400:
    case 401:
    case 403:
    case 404:
    case 409:
    case 413:
    case 503:
      return status;
    default:
      return 500;
  }
}
