import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { OperatorApiDisabledError, UnauthorizedError } from "../errors.js";
import type { Logger } from "../log.js";
import type { RelayerMetrics } from "./metrics.js";

/** Operator endpoints: `Authorization: Bearer <OPERATOR_API_KEY>`, compared in constant time. */
export function operatorAuth(apiKey: string | undefined): MiddlewareHandler {
  // Hashing both sides gives equal-length buffers, so timingSafeEqual never leaks the key's length.
  const expected = apiKey === undefined ? undefined : createHash("sha256").update(apiKey).digest();
  return async (c, next) => {
    if (expected === undefined) throw new OperatorApiDisabledError();
    const match = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
    const given = createHash("sha256").update(match?.[1] ?? "").digest();
    if (match === null || !timingSafeEqual(given, expected)) throw new UnauthorizedError();
    await next();
  };
}

/** Request durations by the matched route pattern (not the raw path, which would explode label cardinality). */
export function requestTimer(metrics: RelayerMetrics): MiddlewareHandler {
  return async (c, next) => {
    const end = metrics.requestDuration.startTimer();
    try {
      await next();
    } finally {
      end({ method: c.req.method, route: routePath(c, -1), status: String(c.res.status) });
    }
  };
}

declare module "hono" {
  interface ContextVariableMap {
    /** The request's id: the client's `x-request-id` when it sent a sane one, else a new UUID. */
    requestId: string;
  }
}

/** A client's id is kept if it is short printable ASCII (it ends up in log lines and a response header). */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * `x-request-id`: the client's (or its proxy's) id, or a new one, echoed on the response and set on the context; one
 * log line per request with that id, the matched route, the status and the duration.
 */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const reqId = given !== undefined && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", reqId);
    try {
      await next();
    } finally {
      c.header("x-request-id", reqId);
      const status = c.res.status;
      const fields = { reqId, method: c.req.method, path: c.req.path, route: routePath(c, -1), status, durationMs: Math.round((performance.now() - started) * 100) / 100 };
      // A 5xx whose cause is unexpected is logged on its own at error level by onError.
      if (status >= 500) logger.warn(fields, "request");
      else logger.info(fields, "request");
    }
  };
}
