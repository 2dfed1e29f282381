/**
 * The indexer's HTTP API on Ponder's Hono app: GraphQL at /graphql, SQL over HTTP at /sql/* (for
 * @ponder/client), and the REST routes, described by /openapi.json (OpenAPI 3.1, from the zod schemas that validate
 * their parameters) and browsable at /docs. Ponder itself serves /health, /ready, /status and /metrics.
 */
import { HTTPException } from "hono/http-exception";
import { client, graphql } from "ponder";
import { db } from "ponder:api";
import schema from "ponder:schema";
import { answerClientErrorsAsJson } from "./client-errors.js";
import { IndexerApiError } from "./errors.js";
import { assertDocumented, createRouter, serveDocs } from "./openapi.js";
import { artists, holders, listeners } from "./routes/accounts.js";
import { batches } from "./routes/batches.js";
import { coins } from "./routes/coins.js";
import { creators } from "./routes/creators.js";
import { holderRevenue } from "./routes/holder-revenue.js";
import { stats } from "./routes/stats.js";
import { tracks } from "./routes/tracks.js";

// Over-long URLs and headers are refused by Node before the app runs; this answers them in JSON too.
answerClientErrorsAsJson();

const app = createRouter();

app.use("/graphql", graphql({ db, schema }));
app.use("/sql/*", client({ db, schema }));

app.route("/tracks", tracks);
app.route("/creators", creators);
app.route("/creators", holderRevenue);
app.route("/coins", coins);
app.route("/stats", stats);
app.route("/batches", batches);
app.route("/listeners", listeners);
app.route("/artists", artists);
app.route("/holders", holders);
serveDocs(app);
// A REST route without a schema stops the API from loading (and so the indexer tests) instead of going undocumented.
assertDocumented(app);

app.onError((error, c) => {
  if (error instanceof IndexerApiError) {
    if (error.status >= 500) console.error(error);
    return c.json({ error: { code: error.code, message: error.message } }, error.status);
  }
  // Hono's own exceptions (e.g. malformed input it rejects itself) keep their status under a generic code.
  if (error instanceof HTTPException && error.status < 500) {
    return c.json({ error: { code: "bad_request", message: error.message } }, 400);
  }
  console.error(error);
  return c.json({ error: { code: "internal_error", message: "internal error" } }, 500);
});

export default app;
