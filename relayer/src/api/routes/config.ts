import { createRoute, z } from "@hono/zod-openapi";
import type { AppDependencies } from "../context.js";
import { createRouter, decimal, json } from "../openapi.js";

const settings = z
  .object({
    chainId: z.number().int(),
    minPlaySeconds: z.number().int().openapi({ description: "seconds a play must last to count (MIN_PLAY_SECONDS)" }),
    milestones: z
      .object({
        plays: decimal.openapi({ description: "MILESTONE_PLAYS: committed plays per milestone" }),
        followers: decimal.openapi({ description: "FOLLOWER_MILESTONE: committed followers per milestone" }),
        revenue: decimal.openapi({ description: "REVENUE_MILESTONE: revenue per milestone, in USDC units (6 decimals)" }),
      })
      .nullable()
      .openapi({ description: "null when this process runs no batcher (it never reports milestones)" }),
  })
  .openapi("PublicSettings");

const route = createRoute({
  method: "get",
  path: "/",
  summary: "Public settings a client shows: the chain, the minimum play length and the creator milestone thresholds",
  responses: { 200: json(settings, "the settings") },
});

/** `GET /v1/config`: what a dApp shows about this relayer's rules (milestone progress bars, the qualifying play time). */
export function configRoutes(deps: Pick<AppDependencies, "chainId" | "rules" | "milestones">) {
  return createRouter().openapi(route, (c) =>
    c.json(
      {
        chainId: deps.chainId,
        minPlaySeconds: deps.rules.minPlaySeconds,
        milestones:
          deps.milestones === undefined
            ? null
            : { plays: deps.milestones.plays.toString(), followers: deps.milestones.followers.toString(), revenue: deps.milestones.revenue.toString() },
      },
      200,
    ),
  );
}
