/**
 * The indexer's schema check (indexer/src/api/openapi.ts) on small apps: the API module runs it on the real routes
 * when Ponder loads it, and test/indexer/indexer.ts reads the document a running indexer serves.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { expect } from "chai";
import { assertDocumented, createRouter, undocumentedRoutes } from "../../indexer/src/api/openapi.js";
import { IndexerApiError } from "../../indexer/src/api/errors.js";

function routes() {
  const documented = createRouter().openapi(
    createRoute({ method: "get", path: "/{id}", request: { params: z.object({ id: z.string().regex(/^\d+$/, "not a number") }) }, responses: { 200: { description: "ok" } } }),
    (c) => c.json({ id: c.req.valid("param").id }, 200),
  );
  const app = createRouter();
  app.route("/things", documented);
  return app;
}

describe("indexer: OpenAPI schema check", () => {
  it("passes an API whose every route has a schema", () => {
    expect(() => assertDocumented(routes())).not.to.throw();
  });

  it("refuses an API with a route added without a schema, naming it", () => {
    const app = routes();
    app.get("/plain/:id", (c) => c.text("no schema"));
    expect(() => assertDocumented(app)).to.throw("routes without an OpenAPI schema (define them with createRoute): GET /plain/:id");
    expect(undocumentedRoutes(app, { paths: { "/plain/{id}": { get: {} } } })).to.deep.equal(["GET /things/:id"]);
  });

  it("answers invalid parameters with invalid_parameter, naming the field", async () => {
    const app = routes();
    app.onError((error, c) => (error instanceof IndexerApiError ? c.json({ error: { code: error.code, message: error.message } }, error.status) : c.text("unexpected", 500)));
    const bad = await app.request("/things/x");
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.deep.equal({ error: { code: "invalid_parameter", message: "id: not a number" } });
    expect(await (await app.request("/things/7")).json()).to.deep.equal({ id: "7" });
  });
});
