import { OpenAPIHono, z, type Hook } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Env, Hono } from "hono";
import { InvalidParameterError } from "./errors.js";

/**
 * Served but no REST resource: the document and its page, GraphQL and SQL over HTTP (mounted with `use`, so not
 * walked anyway), and what Ponder serves itself.
 */
const UNDOCUMENTED_PATHS: readonly string[] = ["/openapi.json", "/docs"];

/** A failed param or query validation: `invalid_parameter`, 400, naming the fields. */
const throwInvalidParameter: Hook<unknown, Env, string, undefined> = (result) => {
  if (result.success) return undefined;
  throw new InvalidParameterError(result.error.issues.map((issue) => `${issue.path.map(String).join(".") || result.target}: ${issue.message}`).join("; "));
};

/** A route file's router: its `createRoute` definitions land in /openapi.json; bad input throws `invalid_parameter`. */
export function createRouter(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook: throwInvalidParameter });
}

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi("Error");

/** A 200 JSON answer (its body is described in README's REST section) and the error answers a route gives. */
export function answers(description: string, ...statuses: (400 | 404)[]) {
  const errors: Record<number, string> = {
    400: "bad parameter (`invalid_parameter`) or cursor (`invalid_cursor`)",
    404: "not found (`<resource>_not_found`)",
  };
  return {
    200: { description },
    ...Object.fromEntries(statuses.map((status) => [status, { description: errors[status] ?? "error", content: { "application/json": { schema: errorBody } } }])),
  };
}

/** `GET /openapi.json` (OpenAPI 3.1, built once from the routes' schemas) and `GET /docs` (Scalar, from its CDN). */
export function serveDocs(app: OpenAPIHono): void {
  let document: unknown;
  const info = {
    title: "BeatStream indexer",
    version: "1",
    description: "REST views over the indexed chain; GraphQL at /graphql. Amounts, ids and times are decimal strings. Errors: `{ \"error\": { \"code\", \"message\" } }`.",
  };
  app.get("/openapi.json", (c) => c.json((document ??= app.getOpenAPI31Document({ openapi: "3.1.0", info }))));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: info.title }));
}

/** Every `METHOD path` the app routes that `document` does not describe (middleware and `exempt` paths aside). */
export function undocumentedRoutes(app: Pick<Hono, "routes">, document: { paths?: Record<string, object | undefined> }, exempt: readonly string[] = UNDOCUMENTED_PATHS): string[] {
  const missing = new Set<string>();
  for (const { method, path } of app.routes) {
    if (method === "ALL" || exempt.includes(path)) continue;
    const operations = document.paths?.[path.replace(/:([^/{}]+)/g, "{$1}")];
    if (operations === undefined || !(method.toLowerCase() in operations)) missing.add(`${method} ${path}`);
  }
  return [...missing];
}

/** Refuses to start an API with a route that has no schema: every route must be in /openapi.json. */
export function assertDocumented(app: OpenAPIHono): void {
  const missing = undocumentedRoutes(app, app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "check", version: "0" } }));
  if (missing.length > 0) throw new Error(`routes without an OpenAPI schema (define them with createRoute): ${missing.join(", ")}`);
}
