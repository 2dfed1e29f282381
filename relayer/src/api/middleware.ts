import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { OperatorApiDisabledError, UnauthorizedError } from "../errors.js";
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
