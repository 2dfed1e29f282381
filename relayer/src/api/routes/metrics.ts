import { createRoute, z } from "@hono/zod-openapi";
import type { AppDependencies } from "../context.js";
import { createRouter } from "../openapi.js";

const route = createRoute({
  method: "get",
  path: "/",
  summary: "Prometheus metrics (text exposition format)",
  responses: { 200: { description: "the app's metric registry", content: { "text/plain": { schema: z.string() } } } },
});

/** `GET /metrics`: Prometheus text exposition of the app's registry. */
export function metricsRoutes(deps: AppDependencies) {
  return createRouter().openapi(route, async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.text(text, 200, { "content-type": deps.metrics.registry.contentType });
  });
}
