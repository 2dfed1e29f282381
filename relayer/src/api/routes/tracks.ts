import { createRoute, z } from "@hono/zod-openapi";
import { countPendingTrackPlays } from "../../db/queries.js";
import { NotFoundError } from "../../errors.js";
import type { AppDependencies } from "../context.js";
import { createRouter, decimal, errors, json } from "../openapi.js";

const trackParam = z.object({
  trackId: z
    .string()
    .regex(/^[1-9][0-9]{0,77}$/, "must be a positive integer")
    .transform((value) => BigInt(value)),
});

const route = createRoute({
  method: "get",
  path: "/{trackId}/plays",
  summary: "A track's plays: committed (read from the chain) and pending (accepted, not yet committed)",
  request: { params: trackParam },
  responses: { 200: json(z.object({ trackId: decimal, committed: decimal, pending: decimal }).openapi("TrackPlays"), "the counts"), ...errors(400, 404) },
});

/** `GET /v1/tracks/:trackId/plays`: committed (from the chain) and pending (accepted, not yet committed). */
export function tracksRoutes(deps: AppDependencies) {
  return createRouter().openapi(route, async (c) => {
    const { trackId } = c.req.valid("param");
    if (!(await deps.tracks.minted([trackId])).has(trackId)) throw new NotFoundError(`track ${trackId}`);
    const [committed, pending] = await Promise.all([deps.reader.playCount(trackId), countPendingTrackPlays(deps.db, trackId)]);
    // Counts as decimal strings: the chain's counts are uint256, and JSON numbers lose precision past 2^53.
    return c.json({ trackId: trackId.toString(), committed: committed.toString(), pending: String(pending) }, 200);
  });
}
