import { createRoute } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or } from "ponder";
import { db } from "ponder:api";
import { platformHourly, track } from "ponder:schema";
import { z } from "zod";
import { decodeHourPlays } from "../../../lib/math.js";
import { cacheTtlFromEnv, responseCache } from "../cache.js";
import { NotFoundError } from "../errors.js";
import { toJson } from "../json.js";
import { address, at, decimalCursor, decodeCursor, encodeCursor, nowSeconds, page, uint } from "../validation.js";
import { answers, createRouter } from "../openapi.js";
import { WINDOW_HOURS, windowStart } from "../windows.js";

const listQuery = z.object({ ...page, creator: address.optional() });
const topQuery = z.object({ ...page, window: z.enum(["24h", "7d", "30d", "all"]).default("all"), at });
const idParam = z.object({ id: uint });
const idCursor = z.tuple([decimalCursor]);
const topCursor = z.tuple([decimalCursor, decimalCursor]);

/**
 * The tracks played in a window, most played first (ties to the lower id), from its hours' packed plays per track;
 * after `after` (a page's last plays and id) when given. A track played 0 times in the window (a 0 delta) counts.
 */
function rankWindow(hours: `0x${string}`[], after: [bigint, bigint] | undefined): { trackId: bigint; plays: bigint }[] {
  const totals = new Map<bigint, bigint>();
  for (const packed of hours) {
    for (const [trackId, plays] of decodeHourPlays(packed)) totals.set(trackId, (totals.get(trackId) ?? 0n) + plays);
  }
  const ranked: { trackId: bigint; plays: bigint }[] = [];
  for (const [trackId, plays] of totals) {
    if (after === undefined || plays < after[0] || (plays === after[0] && trackId > after[1])) ranked.push({ trackId, plays });
  }
  return ranked.sort((a, b) => (a.plays !== b.plays ? (a.plays > b.plays ? -1 : 1) : a.trackId < b.trackId ? -1 : 1));
}

export const tracks = createRouter()
  /** Tracks by id, ascending; `creator` filters one creator's catalogue. */
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Tracks by id, ascending; `creator` filters one catalogue",
      request: { query: listQuery },
      responses: answers("Tracks by id, ascending; `creator` filters one catalogue", 400),
    }),
    async (c) => {
      const { limit, cursor, creator } = c.req.valid("query");
      const after = cursor === undefined ? undefined : decodeCursor(cursor, idCursor)[0];
      const rows = await db
        .select()
        .from(track)
        .where(and(creator === undefined ? undefined : eq(track.creator, creator), after === undefined ? undefined : gt(track.id, after)))
        .orderBy(asc(track.id))
        .limit(limit + 1);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return c.json(toJson({ items, nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null }), 200);
    },
  )
  /**
   * Most played tracks: `all` from each track's running total; 24h/7d/30d from the hours' plays per track (the
   * current UTC hour of `at`, default now, and the 23/167/719 before it). Ties go to the lower track id.
   */
  .openapi(
    createRoute({
      method: "get",
      path: "/top",
      summary: "Most played tracks, all time or in the 24h/7d/30d window ending at `at`",
      middleware: [responseCache({ ttlMs: cacheTtlFromEnv() })] as const,
      request: { query: topQuery },
      responses: answers("Most played tracks, all time or in the 24h/7d/30d window ending at `at`", 400),
    }),
    async (c) => {
      const { limit, cursor, window, at: atParam } = c.req.valid("query");
      const after = cursor === undefined ? undefined : decodeCursor(cursor, topCursor);
      if (window === "all") {
        const rows = await db
          .select()
          .from(track)
          .where(after === undefined ? undefined : or(lt(track.plays, after[0]), and(eq(track.plays, after[0]), gt(track.id, after[1]))))
          .orderBy(desc(track.plays), asc(track.id))
          .limit(limit + 1);
        const items = rows.slice(0, limit).map((row) => ({ ...row, windowPlays: row.plays }));
        const last = items.at(-1);
        return c.json(toJson({ window, items, nextCursor: rows.length > limit && last ? encodeCursor([last.plays, last.id]) : null }), 200);
      }
      const end = atParam ?? nowSeconds();
      const since = windowStart(end, WINDOW_HOURS[window]);
      const hours = await db
        .select({ trackPlays: platformHourly.trackPlays })
        .from(platformHourly)
        .where(and(gte(platformHourly.hour, since), lte(platformHourly.hour, end)));
      const ranked = rankWindow(hours.map((hour) => hour.trackPlays), after).slice(0, limit + 1);
      const page = ranked.slice(0, limit);
      const rows =
        page.length === 0
          ? []
          : await db
              .select()
              .from(track)
              .where(
                inArray(
                  track.id,
                  page.map((entry) => entry.trackId),
                ),
              );
      const byId = new Map(rows.map((row) => [row.id, row]));
      const items = page.flatMap((entry) => {
        const row = byId.get(entry.trackId);
        return row === undefined ? [] : [{ ...row, windowPlays: entry.plays }];
      });
      const last = items.at(-1);
      return c.json(
        toJson({ window, since, at: end, items, nextCursor: ranked.length > limit && last ? encodeCursor([last.windowPlays, last.id]) : null }),
        200,
      );
    },
  )
  .openapi(
    createRoute({ method: "get", path: "/{id}", summary: "One track", request: { params: idParam }, responses: answers("One track", 400, 404) }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await db.query.track.findFirst({ where: eq(track.id, id) });
      if (row === undefined) throw new NotFoundError("track_not_found", `track ${id} is not minted (or not indexed yet)`);
      return c.json(toJson(row), 200);
    },
  );
