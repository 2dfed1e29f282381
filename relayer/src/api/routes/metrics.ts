import { Hono } from "hono";
import type { AppDependencies } from "../context.js";

/** `GET /metrics`: Prometheus text exposition of the app's registry. */
export function metricsRoutes(deps: AppDependencies) {
  return new Hono().get("/", async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.text(text, 200, { "content-type": deps.metrics.registry.contentType });
  });
}
