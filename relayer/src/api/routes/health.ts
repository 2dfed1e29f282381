import { Hono } from "hono";
import type { AppDependencies } from "../context.js";

/** `GET /healthz`: 200 when the database answers and the RPC serves the configured chain, else 503 naming what failed. */
export function healthRoutes(deps: AppDependencies) {
  return new Hono().get("/", async (c) => {
    const [db, chain] = await Promise.all([
      check(async () => {
        await deps.db.query("SELECT 1");
      }),
      check(async () => {
        const chainId = await deps.reader.chainId();
        if (chainId !== deps.chainId) throw new Error(`RPC serves chain ${chainId}, expected ${deps.chainId}`);
      }),
    ]);
    const ok = db === "ok" && chain === "ok";
    return c.json({ status: ok ? "ok" : "unavailable", checks: { db, chain } }, ok ? 200 : 503);
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
