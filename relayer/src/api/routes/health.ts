import { createRoute, z } from "@hono/zod-openapi";
import { ping } from "../../repo/db/database.js";
import type { AppDependencies } from "../context.js";
import { createRouter, json } from "../openapi.js";

const health = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.object({ db: z.string().openapi({ example: "ok" }), chain: z.string().openapi({ example: "ok" }) }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/",
  summary: "Liveness: the database answers and the RPC serves the configured chain",
  responses: { 200: json(health, "all checks ok"), 503: json(health, "a check failed; its value names the error") },
});

/** `GET /healthz`: 200 when the database answers and the RPC serves the configured chain, else 503 naming what failed. */
export function healthRoutes(deps: AppDependencies) {
  return createRouter().openapi(route, async (c) => {
    const [db, chain] = await Promise.all([
      check(() => ping(deps.db)),
      check(async () => {
        const chainId = await deps.reader.chainId();
        if (chainId !== deps.chainId) throw new Error(`RPC serves chain ${chainId}, expected ${deps.chainId}`);
      }),
    ]);
    const checks = { db, chain };
    return db === "ok" && chain === "ok" ? c.json({ status: "ok" as const, checks }, 200) : c.json({ status: "unavailable" as const, checks }, 503);
  });
}

async function check(probe: () => Promise<void>): Promise<string> {
  try {
    await probe();
    return "ok";
  } catch (error) {
    return `error: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
  }
}
