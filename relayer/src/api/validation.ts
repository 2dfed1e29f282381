import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import type { ZodType } from "zod";
import { InvalidJsonError, InvalidRequestError } from "../errors.js";

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
