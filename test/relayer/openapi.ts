import { Writable } from "node:stream";
import { expect } from "chai";
import { Hono } from "hono";
import { createApp } from "../../relayer/src/api/app.js";
import { createRouter, undocumentedRoutes } from "../../relayer/src/api/openapi.js";
import { loadConfig } from "../../relayer/src/config.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { createLogger, lineSink, type Logger, type LogLevel } from "../../relayer/src/log.js";
import type { StreamService } from "../../relayer/src/stream/service.js";
import { BACKENDS, offlineAppDependencies } from "./core.helpers.js";

type Json = Record<string, any>;

/** The whole app, streaming routes included; nothing here reaches a chain. */
function app(db: Database, logger?: Logger) {
  const { logError, ...deps } = offlineAppDependencies(db, {
    operatorApiKey: "operator-key",
    // The streaming routes are mounted and walked here, never called: no service behind them is needed.
    stream: {} as StreamService,
  });
  return createApp(logger === undefined ? { ...deps, ...(logError === undefined ? {} : { logError }) } : { ...deps, logger });
}

/** A logger at `level` whose JSON lines land in `lines`. */
function capture(level: LogLevel): { logger: Logger; lines: () => Json[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level, pretty: false, destination });
  const lines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Json);
  return { logger, lines };
}

describe("relayer OpenAPI and logs", function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;

  before(async () => {
    ({ db, dispose } = await BACKENDS[0]!.open());
  });
  after(async () => {
    await dispose();
  });

  it("describes every route it serves in /openapi.json (OpenAPI 3.1), operator routes with the bearer scheme", async () => {
    const api = app(db);
    const response = await api.request("/openapi.json");
    expect(response.status).to.equal(200);
    const document = (await response.json()) as Json;
    expect(document.openapi).to.equal("3.1.0");
    expect(undocumentedRoutes(api, document)).to.deep.equal([]);
    // Spot checks: the schemas are the validators' (param patterns, query bounds, the body's array bounds).
    const play = document.paths["/v1/plays/{id}"].get;
    expect(play.parameters[0]).to.include({ name: "id", in: "path", required: true });
    expect(play.parameters[0].schema.pattern).to.equal("^[1-9][0-9]{0,18}$");
    const limit = document.paths["/v1/batches"].get.parameters.find((parameter: Json) => parameter.name === "limit");
    expect(limit.schema).to.include({ minimum: 1, maximum: 100, default: 20 });
    const ingest = document.paths["/v1/plays"].post;
    expect(ingest.requestBody.content["application/json"].schema.properties.plays).to.include({ type: "array", minItems: 1, maxItems: 10 });
    expect(Object.keys(ingest.responses)).to.include.members(["202", "400", "413"]);
    expect(document.paths["/v1/admin/flush"].post.security).to.deep.equal([{ operatorKey: [] }]);
    expect(document.components.securitySchemes.operatorKey).to.include({ type: "http", scheme: "bearer" });
    expect(document.components.schemas.Error.properties.error.properties).to.have.keys("code", "message");
    for (const path of ["/v1/sessions", "/v1/vouchers", "/v1/sessions/{id}", "/v1/listeners/{address}/balance", "/v1/settlements/{id}", "/healthz", "/metrics"]) {
      expect(document.paths, path).to.have.property(path);
    }
  });

  it("finds a route added without a schema", () => {
    const documented = createRouter();
    documented.get("/plain", (c) => c.text("no schema"));
    const api = new Hono().route("/v1", documented);
    expect(undocumentedRoutes(api, { paths: {} })).to.deep.equal(["GET /v1/plain"]);
    expect(undocumentedRoutes(api, { paths: { "/v1/plain": { get: {} } } })).to.deep.equal([]);
    expect(undocumentedRoutes(api, { paths: { "/v1/plain": { post: {} } } })).to.deep.equal(["GET /v1/plain"]);
  });

  it("serves the docs page pointing at /openapi.json", async () => {
    const response = await app(db).request("/docs");
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/html/);
    expect(await response.text()).to.include("/openapi.json");
  });

  it("keeps today's error bodies for bad params and queries", async () => {
    const api = app(db);
    const badId = await api.request("/v1/batches/0");
    expect(badId.status).to.equal(400);
    expect(await badId.json()).to.deep.equal({ error: { code: "invalid_request", message: "id: must be a positive integer" } });
    const badLimit = await api.request("/v1/batches?limit=0");
    expect(badLimit.status).to.equal(400);
    expect(((await badLimit.json()) as Json).error.code).to.equal("invalid_request");
  });

  it("logs each request as one JSON line with its request id, echoed in x-request-id", async () => {
    const { logger, lines } = capture("info");
    const api = app(db, logger);
    const given = await api.request("/v1/batches/0", { headers: { "x-request-id": "client-id-42" } });
    expect(given.headers.get("x-request-id")).to.equal("client-id-42");
    const fresh = await api.request("/openapi.json");
    const generated = fresh.headers.get("x-request-id");
    expect(generated).to.match(/^[0-9a-f-]{36}$/);
    // A header that would corrupt a log line is replaced, not echoed.
    const odd = await api.request("/healthz", { headers: { "x-request-id": "a b" } });
    expect(odd.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
    const [first, second] = lines();
    expect(first).to.include({ msg: "request", reqId: "client-id-42", method: "GET", path: "/v1/batches/0", route: "/v1/batches/:id", status: 400 });
    expect(first!.durationMs).to.be.a("number");
    expect(first!.level).to.equal(30);
    expect(second).to.include({ reqId: generated, status: 200 });
  });

  it("honours LOG_LEVEL: at warn, request lines (info) are dropped", async () => {
    const { LOG_LEVEL } = loadConfig({ env: { LOG_LEVEL: "warn" } });
    expect(LOG_LEVEL).to.equal("warn");
    const { logger, lines } = capture(LOG_LEVEL);
    const api = app(db, logger);
    const response = await api.request("/v1/batches/0", { headers: { "x-request-id": "quiet" } });
    expect(response.headers.get("x-request-id")).to.equal("quiet");
    logger.warn("a warning still shows");
    expect(lines().map((line) => line.msg)).to.deep.equal(["a warning still shows"]);
  });

  it("writes the pipeline's and the stream's lines with their ids as fields, at the level they give", () => {
    const { logger, lines } = capture("info");
    const log = lineSink(logger);
    log("batches committed: 3, 4", { batchIds: ["3", "4"] });
    log("closing session 0xab failed: boom", { level: "warn", sessionId: "0xab" });
    const [committed, failed] = lines();
    expect(committed).to.include({ level: 30, msg: "batches committed: 3, 4" });
    expect(committed?.batchIds).to.deep.equal(["3", "4"]);
    expect(failed).to.include({ level: 40, msg: "closing session 0xab failed: boom", sessionId: "0xab" });
    expect(failed).to.not.have.property("batchIds");
  });
});
