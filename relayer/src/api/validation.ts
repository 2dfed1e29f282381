import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import type { ZodType } from "zod";
import { BodyTooLargeError, InvalidJsonError, InvalidRequestError } from "../errors.js";

/**
 * zod validation for one request part; a failure becomes `invalid_request` (or what `refine` maps it to), so every
 * route answers bad input with the one error shape.
 */
export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
  refine?: (issues: readonly { code: string; path: readonly PropertyKey[] }[]) => Error | undefined,
) {
  return zValidator(target, schema, (result) => {
    if (result.success) return;
    const issues = result.error.issues;
    throw (
      refine?.(issues) ??
      new InvalidRequestError(issues.map((issue) => `${issue.path.map(String).join(".") || target}: ${issue.message}`).join("; "))
    );
  });
}

/**
 * Parses the body once before the zod validator does: Hono's own JSON validator answers malformed JSON with a
 * generic 400, and clients need the stable `invalid_json` code.
 */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const text = await c.req.text();
  try {
    JSON.parse(text);
  } catch {
    throw new InvalidJsonError();
  }
  await next();
};

/**
 * `navigator.sendBeacon` cannot send `application/json` to another origin without a CORS preflight, so the client
 * SDK's beacons (page hidden or closing) come as `text/plain;charset=UTF-8`. The two ingest routes (POST /v1/plays
 * and /v1/engagement) put this in front of `requireJson` to read such a body as JSON; every other route stays
 * JSON-only (its validator finds no JSON in a text/plain body and answers `invalid_request`).
 */
export const acceptBeacon: MiddlewareHandler = async (c, next) => {
  const type = c.req.header("content-type");
  if (type !== undefined && type.split(";")[0]!.trim().toLowerCase() === "text/plain") {
    // The body is read once into Hono's cache (the validator reads it from there); headers of a Request are
    // immutable, so the request is rebuilt with the JSON type.
    const text = await c.req.text();
    const headers = new Headers(c.req.raw.headers);
    headers.set("content-type", "application/json");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers, body: text });
  }
  await next();
};

/**
 * What both ingest routes (POST /v1/plays and /v1/engagement) put in front of their validator: the body limit
 * (`body_too_large`), a beacon's text/plain read as JSON, and malformed JSON refused as `invalid_json`.
 */
export function ingestBody(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new BodyTooLargeError(maxBytes);
    },
  });
  return every(limit, acceptBeacon, requireJson);
}

/** A `validate` refinement: more items in `field` than the route takes is `tooMany()`'s error, not `invalid_request`. */
export function tooManyItems(field: string, tooMany: () => Error) {
  return (issues: readonly { code: string; path: readonly PropertyKey[] }[]) =>
    issues.some((issue) => issue.code === "too_big" && issue.path[0] === field) ? tooMany() : undefined;
}
