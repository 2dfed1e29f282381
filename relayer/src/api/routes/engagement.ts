import { createRoute, z } from "@hono/zod-openapi";
import type { Address } from "viem";
import { NotFoundError, TooManyEventsError } from "../../errors.js";
import { ENGAGEMENT_REJECTION_CODES, ingestEngagement } from "../../engagement/ingest.js";
import { PLAY_SOURCES } from "../../engagement/schema.js";
import { lowerHex } from "../../crypto/hex.js";
import { findPlaylist, listFanFollows, listFanHistory, listFanMarks, listFanPlaylists, listTrackComments } from "../../repo/engagement.js";
import { clientIp, type AppDependencies } from "../context.js";
import { createRouter, decimal, errorBody, errors, json, jsonBody } from "../openapi.js";
import { provesOwner } from "../read-auth.js";
import { ingestBody, tooManyItems, validate } from "../validation.js";
import { idParam } from "./plays.js";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x and 20 bytes of hex")
  .transform((value): Address => lowerHex(value))
  .openapi({ example: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" });
const hex = z.string().regex(/^0x[0-9a-f]*$/);
const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x and 32 bytes of hex")
  .transform(lowerHex);

/** `limit` (1–100, default 20) and `cursor` (the previous page's `nextCursor`): every list here pages the same way. */
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: idParam.optional(),
});

const readAuthHeader = z.object({
  authorization: z
    .string()
    .optional()
    .openapi({ description: "`BeatStream <expiry>.<signature>`: the owner's personal_sign of `BeatStream read access for <address> until <expiry>`" }),
});

const unauthorized = {
  401: {
    description: "a read-access proof was sent that is malformed or forged (`read_auth_invalid`), expired (`read_auth_expired`) or not the owner's (`read_auth_wrong_signer`)",
    content: { "application/json": { schema: errorBody } },
  },
};

const engagementResult = z
  .union([
    z.object({ status: z.literal("accepted"), id: decimal, effect: z.enum(["applied", "unchanged"]) }),
    z.object({ status: z.literal("rejected"), code: z.enum(ENGAGEMENT_REJECTION_CODES), message: z.string().optional() }),
  ])
  .openapi("EngagementResult");

/** The previous page's last id, when the page is full (there may be more). */
function nextCursor(rows: readonly { eventId: string }[], limit: number): string | null {
  return rows.length === limit ? (rows.at(-1)?.eventId ?? null) : null;
}

/** `POST /v1/engagement`: signed fan events (docs/engagement.md), one result per item. */
export function engagementRoutes(deps: AppDependencies) {
  const { engagement } = deps;
  const body = z.object({ events: z.array(z.unknown()).min(1).max(engagement.maxEventsPerRequest) });
  const router = createRouter();
  // The body is checked by the middleware below (see jsonBody), so the route is registered for the document only.
  router.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/",
      summary: "Ingest signed engagement events (likes, saves, shares, downloads, follows, playlists, comments, play outcomes); each gets its own result",
      request: { body: jsonBody(body, "EIP-712 `Engagement` events (see docs/engagement.md); text/plain is read as JSON (sendBeacon)", { beacon: true }) },
      responses: { 202: json(z.object({ results: z.array(engagementResult) }), "one result per event, in order"), ...errors(400, 413, 503) },
    }),
  );
  return router.post(
    "/",
    ingestBody(deps.bodyLimitBytes),
    validate("json", body, tooManyItems("events", () => new TooManyEventsError(engagement.maxEventsPerRequest))),
    async (c) => {
      const { events } = c.req.valid("json");
      const results = await ingestEngagement({
        db: deps.db,
        verifier: engagement.verifier,
        tracks: deps.tracks,
        artists: engagement.artists,
        rules: engagement.rules,
        items: events,
        clientIp: clientIp(c, deps.trustProxy),
        now: deps.now(),
      });
      for (const result of results) {
        if (result.status === "accepted") deps.metrics.engagementAccepted.inc({ effect: result.effect });
        else deps.metrics.engagementRejected.inc({ code: result.code });
      }
      return c.json({ results }, 202);
    },
  );
}

const comment = z
  .object({ id: hex, fan: hex, body: z.string(), positionSeconds: z.number().int().nullable(), issuedAt: decimal, eventId: decimal })
  .openapi("Comment");

const comments = createRoute({
  method: "get",
  path: "/{trackId}/comments",
  summary: "A track's comments, newest first; pass the previous page's `nextCursor` as `cursor`",
  request: {
    params: z.object({ trackId: z.string().regex(/^[1-9][0-9]{0,18}$/, "must be a positive integer").transform((value) => BigInt(value)) }),
    query: pageQuery,
  },
  responses: { 200: json(z.object({ trackId: decimal, comments: z.array(comment), nextCursor: decimal.nullable() }).openapi("TrackComments"), "a page of comments"), ...errors(400, 404, 503) },
});

/** `GET /v1/tracks/:trackId/comments`. */
export function trackCommentsRoutes(deps: AppDependencies) {
  return createRouter().openapi(comments, async (c) => {
    const { trackId } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    if (!(await deps.tracks.minted([trackId])).has(trackId)) throw new NotFoundError(`track ${trackId}`);
    const rows = await listTrackComments(deps.db, trackId, { limit, before: cursor });
    return c.json({ trackId: trackId.toString(), comments: rows, nextCursor: nextCursor(rows, limit) }, 200);
  });
}

const playlist = z
  .object({
    id: hex,
    owner: hex,
    name: z.string(),
    public: z.boolean(),
    createdAt: decimal,
    updatedAt: decimal,
    tracks: z.array(decimal),
  })
  .openapi("Playlist");

const onePlaylist = createRoute({
  method: "get",
  path: "/{id}",
  summary: "A playlist and its tracks in order: public ones for anyone, private ones for their owner (read-access proof)",
  request: { params: z.object({ id: bytes32 }), headers: readAuthHeader },
  responses: { 200: json(playlist, "the playlist"), ...errors(400, 404), ...unauthorized },
});

/** `GET /v1/playlists/:id`. A private playlist without a proof is `not_found`, so its existence does not leak. */
export function playlistsRoutes(deps: AppDependencies) {
  return createRouter().openapi(onePlaylist, async (c) => {
    const { id } = c.req.valid("param");
    const found = await findPlaylist(deps.db, id);
    if (found === undefined || found.deleted) throw new NotFoundError(`playlist ${id}`);
    if (!found.public && !(await provesOwner(c.req.header("authorization"), lowerHex(found.owner), deps.now()))) throw new NotFoundError(`playlist ${id}`);
    return c.json(
      {
        id: found.id,
        owner: found.owner,
        name: found.name,
        public: found.public,
        createdAt: found.createdAt.toString(),
        updatedAt: found.updatedAt.toString(),
        tracks: found.tracks.map((track) => track.toString()),
      },
      200,
    );
  });
}

const fanParam = z.object({ address });
const markItem = z.object({ trackId: decimal, issuedAt: decimal, eventId: decimal });
const fanRoute = <Schema extends z.ZodType>(path: string, summary: string, schema: Schema, withAuth = false) =>
  createRoute({
    method: "get",
    path,
    summary,
    request: withAuth ? { params: fanParam, query: pageQuery, headers: readAuthHeader } : { params: fanParam, query: pageQuery },
    responses: { 200: json(schema, "a page, newest first"), ...errors(400), ...(withAuth ? unauthorized : {}) },
  });

const likes = fanRoute("/{address}/likes", "The tracks a fan likes now, newest first", z.object({ fan: hex, tracks: z.array(markItem), nextCursor: decimal.nullable() }).openapi("FanLikes"));
const saves = fanRoute("/{address}/saves", "The tracks a fan has saved, newest first", z.object({ fan: hex, tracks: z.array(markItem), nextCursor: decimal.nullable() }).openapi("FanSaves"));
const follows = fanRoute(
  "/{address}/follows",
  "The artists a fan follows, newest first",
  z.object({ fan: hex, artists: z.array(z.object({ artist: hex, issuedAt: decimal, eventId: decimal })), nextCursor: decimal.nullable() }).openapi("FanFollows"),
);
const playlists = fanRoute(
  "/{address}/playlists",
  "A fan's playlists, newest first: public ones, and private ones too with the fan's read-access proof",
  z
    .object({
      fan: hex,
      playlists: z.array(z.object({ id: hex, name: z.string(), public: z.boolean(), createdAt: decimal, updatedAt: decimal, tracks: z.number().int(), eventId: decimal })),
      nextCursor: decimal.nullable(),
    })
    .openapi("FanPlaylists"),
  true,
);
const history = fanRoute(
  "/{address}/history",
  "A fan's plays, newest first, each with how it ended (play_complete / play_skip) when the client reported it",
  z
    .object({
      fan: hex,
      plays: z.array(
        z.object({
          playId: decimal,
          trackId: decimal,
          startedAt: decimal,
          durationSeconds: z.number().int(),
          outcome: z
            .object({ action: z.enum(["play_complete", "play_skip"]), source: z.enum(PLAY_SOURCES).or(z.string()), seconds: z.number().int(), sessionId: hex, issuedAt: decimal })
            .nullable(),
        }),
      ),
      nextCursor: decimal.nullable(),
    })
    .openapi("FanHistory"),
);

/** `GET /v1/fans/:address/likes|saves|follows|playlists|history`: the fan's own view, paged newest first. */
export function fansRoutes(deps: AppDependencies) {
  const { db } = deps;
  return createRouter()
    .openapi(likes, async (c) => {
      const { address: fan } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listFanMarks(db, fan, "like", { limit, before: cursor });
      return c.json({ fan, tracks: rows, nextCursor: nextCursor(rows, limit) }, 200);
    })
    .openapi(saves, async (c) => {
      const { address: fan } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listFanMarks(db, fan, "save", { limit, before: cursor });
      return c.json({ fan, tracks: rows, nextCursor: nextCursor(rows, limit) }, 200);
    })
    .openapi(follows, async (c) => {
      const { address: fan } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listFanFollows(db, fan, { limit, before: cursor });
      return c.json({ fan, artists: rows, nextCursor: nextCursor(rows, limit) }, 200);
    })
    .openapi(playlists, async (c) => {
      const { address: fan } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const owner = await provesOwner(c.req.header("authorization"), fan, deps.now());
      const rows = await listFanPlaylists(db, fan, owner, { limit, before: cursor });
      return c.json({ fan, playlists: rows.map(({ owner: _owner, ...row }) => row), nextCursor: nextCursor(rows, limit) }, 200);
    })
    .openapi(history, async (c) => {
      const { address: fan } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listFanHistory(db, fan, { limit, before: cursor });
      const last = rows.at(-1);
      return c.json({ fan, plays: rows, nextCursor: rows.length === limit && last !== undefined ? last.playId : null }, 200);
    });
}
