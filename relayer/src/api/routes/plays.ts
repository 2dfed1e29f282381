import { createRoute, z } from "@hono/zod-openapi";
import { createProofSource } from "../proofs.js";
import { findPlay } from "../../repo/plays.js";
import { NotFoundError, TooManyPlaysError } from "../../errors.js";
import { ingestPlays } from "../../plays/ingest.js";
import { clientIp, type AppDependencies } from "../context.js";
import { createRouter, decimal, errors, json, jsonBody } from "../openapi.js";
import { ingestBody, tooManyItems, validate } from "../validation.js";

/** A database id: a positive bigint, in decimal. */
export const idParam = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, "must be a positive integer")
  .transform((value) => BigInt(value))
  .refine((value) => value < 1n << 63n, "out of range");

const hex = z.string().regex(/^0x[0-9a-f]*$/);

const ingestResult = z
  .union([
    z.object({ status: z.literal("accepted"), id: decimal }),
    z.object({ status: z.literal("rejected"), code: z.string(), message: z.string().optional() }),
  ])
  .openapi("IngestResult");

const storedPlay = z
  .object({
    id: decimal,
    listener: hex,
    trackId: decimal,
    startedAt: decimal,
    durationSeconds: z.number().int(),
    nonce: decimal,
    signature: hex,
    signatureHash: hex,
    receivedAt: z.string(),
  })
  .openapi("StoredPlayFields");

const playStatus = z
  .object({
    id: decimal,
    status: z.enum(["pending", "batched", "committed"]),
    batchId: decimal.nullable(),
    play: storedPlay,
    leaf: hex.nullable(),
    proof: z.array(hex).nullable(),
    leafPlay: z.object({ listener: hex, trackId: decimal, startedAt: decimal, durationSeconds: z.number().int() }).nullable(),
    signatureHash: hex.nullable(),
  })
  .openapi("PlayStatus");

const getPlay = createRoute({
  method: "get",
  path: "/{id}",
  summary: "A play's status and, once its batch is committed, its Merkle proof",
  request: { params: z.object({ id: idParam }) },
  responses: { 200: json(playStatus, "the play"), ...errors(400, 404) },
});

/** `POST /v1/plays` (ingest signed plays) and `GET /v1/plays/:id` (a play's status and, once committed, its proof). */
export function playsRoutes(deps: AppDependencies) {
  const proofs = createProofSource({ db: deps.db });
  const body = z.object({ plays: z.array(z.unknown()).min(1).max(deps.maxPlaysPerRequest) });
  const router = createRouter();
  // The body is checked by the middleware below (see jsonBody), so the route is registered for the document only.
  router.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/",
      summary: "Ingest signed plays; each gets its own result",
      request: { body: jsonBody(body, "EIP-712 signed plays (see docs/api.md); text/plain is read as JSON (sendBeacon)", { beacon: true }) },
      responses: { 202: json(z.object({ results: z.array(ingestResult) }), "one result per play, in order"), ...errors(400, 413) },
    }),
  );
  return router
    .openapi(getPlay, async (c) => {
      const { id } = c.req.valid("param");
      const play = await findPlay(deps.db, id);
      if (play === undefined) throw new NotFoundError(`play ${id}`);
      const { status, batchId, leafIndex, ...fields } = play;
      // The proof fields stay null until the play's batch is committed: before that no root on chain proves them.
      const proven = status === "committed" && batchId !== null && leafIndex !== null ? await proofs.proofOf(BigInt(batchId), leafIndex) : undefined;
      return c.json(
        {
          id: play.id,
          status,
          batchId,
          play: fields,
          leaf: proven?.leaf ?? null,
          proof: proven?.proof ?? null,
          // MusicNFT.verifyPlay(batchId, leafPlay, signatureHash, proof); JSON has no bigint, so decimal strings.
          leafPlay: proven === undefined ? null : { ...proven.play, trackId: proven.play.trackId.toString(), startedAt: proven.play.startedAt.toString() },
          signatureHash: proven?.signatureHash ?? null,
        },
        200,
      );
    })
    .post(
      "/",
      ingestBody(deps.bodyLimitBytes),
      validate("json", body, tooManyItems("plays", () => new TooManyPlaysError(deps.maxPlaysPerRequest))),
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
    );
}
