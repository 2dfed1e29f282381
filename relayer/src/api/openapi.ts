import { OpenAPIHono, z, type Hook } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Env, Hono } from "hono";
import type { ZodType } from "zod";
import { InvalidRequestError } from "../errors.js";

/** Paths that are served but are no REST resource: the document itself, its page, the WebSocket upgrade. */
export const UNDOCUMENTED_PATHS: readonly string[] = ["/openapi.json", "/docs", "/v1/stream"];

export type ValidationHook = Hook<unknown, Env, string, undefined>;

/** A failed param or query validation, as `validate()` words it for the other targets: `invalid_request`, 400. */
const throwInvalidRequest: ValidationHook = (result) => {
  if (result.success) return undefined;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join(".") || result.target}: ${issue.message}`);
  throw new InvalidRequestError(problems.join("; "));
};

/**
 * A route file's router: its `createRoute` definitions land in the OpenAPI document; bad input throws
 * `invalid_request`, or what `hook` throws (a route family with codes of its own for some parameters).
 */
export function createRouter(hook: ValidationHook = throwInvalidRequest): OpenAPIHono {
  return new OpenAPIHono({ defaultHook: hook });
}

/** `{ "error": { "code", "message" } }`: the body of every failure. */
export const errorBody = z
  .object({ error: z.object({ code: z.string().openapi({ example: "invalid_request" }), message: z.string() }) })
  .openapi("Error");

/** The error responses a route documents, by status. */
export function errors(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 503)[]) {
  const described: Record<number, string> = {
    400: "invalid input (`invalid_request`, `invalid_json`, or a route's own code)",
    401: "missing or wrong operator key (`unauthorized`)",
    403: "operator API disabled (`operator_api_disabled`)",
    404: "not found (`not_found`)",
    409: "conflicts with the current state",
    413: "body or batch too large",
    503: "a dependency is unavailable",
  };
  return Object.fromEntries(statuses.map((status) => [status, { description: described[status] ?? "error", content: { "application/json": { schema: errorBody } } }]));
}

/**
 * A JSON request body documented by the zod schema that validates it. Such routes are registered for the document
 * (`openAPIRegistry.registerPath`) and validated by route middleware (`requireJson`, then `validate("json", …)`):
 * zod-openapi's own body validation has a media-type gate that would answer a missing content type with 415 where
 * the API has always answered `invalid_request`.
 */
export function jsonBody(schema: ZodType, description: string, { beacon = false }: { beacon?: boolean } = {}) {
  // An ingest route also reads a text/plain body as JSON: what navigator.sendBeacon sends without a preflight.
  const content = beacon ? { "application/json": { schema }, "text/plain": { schema } } : { "application/json": { schema } };
  return { required: true, description, content };
}

/** A JSON response documented by `schema`. */
export function json<Schema extends ZodType>(schema: Schema, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** Decimal strings: uint256 amounts, ids and counts, exact beyond 2^53. */
export const decimal = z.string().regex(/^[0-9]+$/).openapi({ example: "1000000" });

/**
 * `GET /openapi.json` (OpenAPI 3.1, generated once from the routes' schemas) and `GET /docs` (Scalar). The page loads
 * Scalar's script from its CDN, so it needs a browser online; the document itself needs nothing.
 */
export function serveDocs(app: OpenAPIHono, info: { title: string; version: string; description: string }) {
  let document: unknown;
  app.get("/openapi.json", (c) => c.json((document ??= app.getOpenAPI31Document({ openapi: "3.1.0", info }))));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: info.title }));
}

/**
 * Every `METHOD path` the app routes that `document` does not describe (middleware and `exempt` paths aside): the
 * check that keeps a route from going without a schema.
 */
export function undocumentedRoutes(app: Pick<Hono, "routes">, document: { paths?: Record<string, object | undefined> }, exempt: readonly string[] = UNDOCUMENTED_PATHS): string[] {
  const missing = new Set<string>();
  for (const { method, path } of app.routes) {
    if (method === "ALL" || exempt.includes(path)) continue;
    const openApiPath = path.replace(/:([^/{}]+)/g, "{$1}");
    const operations = document.paths?.[openApiPath];
    if (operations === undefined || !(method.toLowerCase() in operations)) missing.add(`${method} ${path}`);
  }
  return [...missing];
}

/** Operator routes carry `Authorization: Bearer <OPERATOR_API_KEY>`. */
export const OPERATOR_SECURITY = [{ operatorKey: [] }];

/** `router` with the operator key's security scheme in its document. */
export function operatorRouter(router: OpenAPIHono): OpenAPIHono {
  router.openAPIRegistry.registerComponent("securitySchemes", "operatorKey", { type: "http", scheme: "bearer", description: "OPERATOR_API_KEY" });
  return router;
}
