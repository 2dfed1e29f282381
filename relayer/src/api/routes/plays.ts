import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { createProofSource } from "../../batcher/proofs.js";
import { findPlay } from "../../repo/plays.js";
import { BodyTooLargeError, NotFoundError, TooManyPlaysError } from "../../errors.js";
import { ingestPlays } from "../../plays/ingest.js";
import { clientIp, type AppDependencies } from "../context.js";
import { requireJson, validate } from "../validation.js";

/** A database id: a positive bigint, in decimal. */
export const idParam = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, "must be a positive integer")
  .transform((value) => BigInt(value))
  .refine((value) => value < 1n << 63n, "out of range");

/** `POST /v1/plays` (ingest signed plays) and `GET /v1/plays/:id` (a play's status and, once committed, its proof). */
export function playsRoutes(deps: AppDependencies) {
  const proofs = createProofSource({ db: deps.db });
  const body = z.object({ plays: z.array(z.unknown()).min(1).max(deps.maxPlaysPerRequest) });
  return new Hono()
    .post(
      "/",
      bodyLimit({
        maxSize: deps.bodyLimitBytes,
        onError: () => {
          throw new BodyTooLargeError(deps.bodyLimitBytes);
        },
      }),
      requireJson,
      validate("json", body, (issues) =>
        issues.some((issue) => issue.code === "too_big" && issue.path[0] === "plays")
          ? new TooManyPlaysError(deps.maxPlaysPerRequest)
          : undefined,
      ),
      async (c) => {
        const { plays } = c.req.valid("json");
        const results = await ingestPlays({
          db: deps.db,
          verifier: deps.verifier,
          tracks: deps.tracks,
          rules: deps.rules,
          items: plays,
          clientIp: clientIp(c, deps.trustProxy),
          now: deps.now(),
        });
        for (const result of results) {
          if (result.status === "accepted") deps.metrics.playsAccepted.inc();
          else deps.metrics.playsRejected.inc({ code: result.code });
        }
        return c.json({ results }, 202);
      },
    )
    .get("/:id", validate("param", z.object({ id: idParam })), async (c) => {
      const { id } = c.req.valid("param");
      const play = await findPlay(deps.db, id);
      if (play === undefined) throw new NotFoundError(`play ${id}`);
      const { status, batchId, leafIndex, ...fields } = play;
      // The proof fields stay null until the play's batch is committed: before that no root on chain proves them.
      const proven = status === "committed" && batchId !== null && leafIndex !== null ? await proofs.proofOf(BigInt(batchId), leafIndex) : undefined;
      return c.json({
        id: play.id,
        status,
        batchId,
        play: fields,
        leaf: proven?.leaf ?? null,
        proof: proven?.proof ?? null,
        // MusicNFT.verifyPlay(batchId, leafPlay, signatureHash, proof); JSON has no bigint, so decimal strings.
        leafPlay: proven === undefined ? null : { ...proven.play, trackId: proven.play.trackId.toString(), startedAt: proven.play.startedAt.toString() },
        signatureHash: proven?.signatureHash ?? null,
      });
    });
}
