import { Hono } from "hono";
import { z } from "zod";
import { countPendingTrackPlays } from "../../repo/plays.js";
import { NotFoundError } from "../../errors.js";
import type { AppDependencies } from "../context.js";
import { validate } from "../validation.js";

const trackParam = z.object({
  trackId: z
    .string()
    .regex(/^[1-9][0-9]{0,77}$/, "must be a positive integer")
    .transform((value) => BigInt(value)),
});

/** `GET /v1/tracks/:trackId/plays`: committed (from the chain) and pending (accepted, not yet committed). */
export function tracksRoutes(deps: AppDependencies) {
  return new Hono().get("/:trackId/plays", validate("param", trackParam), async (c) => {
    const { trackId } = c.req.valid("param");
    if (!(await deps.tracks.minted([trackId])).has(trackId)) throw new NotFoundError(`track ${trackId}`);
    const [committed, pending] = await Promise.all([deps.reader.playCount(trackId), countPendingTrackPlays(deps.db, trackId)]);
    // Counts as decimal strings: the chain's counts are uint256, and JSON numbers lose precision past 2^53.
    return c.json({ trackId: trackId.toString(), committed: committed.toString(), pending: String(pending) });
  });
}
