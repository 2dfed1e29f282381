import { expect } from "chai";
import { startLocalNode, type LocalNode } from "../relayer/helpers/processes.js";
import { TEST_DATABASE_URL } from "../relayer/core.helpers.js";
import { expectIndexerEqualsChain } from "./chain-equality.js";
import { startIndexer, type IndexerProcess } from "./helpers.js";
import { createScenario, mineBlocks, phaseOne, phaseTwo, type Scenario } from "./scenario.js";

/**
 * A Hardhat node with the protocol deployed by the deploy script, phase one of the scenario, 31 blocks so it is
 * final for Ponder (historical sync), then `ponder start` on PGlite and, with TEST_DATABASE_URL, on PostgreSQL,
 * both indexing phase two as it happens (realtime sync); then every REST answer is compared with the chain.
 */
describe("indexer: Ponder over a local chain", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let scenario: Scenario;
  const indexers: { pglite?: IndexerProcess; postgres?: IndexerProcess } = {};

  before(async function () {
    node = await startLocalNode({ tracks: 0 });
    scenario = await createScenario(node);
    await phaseOne(scenario);
    await mineBlocks(scenario, 31);
    indexers.pglite = await startIndexer({ node, database: { kind: "pglite" } });
    if (TEST_DATABASE_URL !== undefined) indexers.postgres = await startIndexer({ node, database: { kind: "postgres", adminUrl: TEST_DATABASE_URL } });
    await phaseTwo(scenario);
    const head = await scenario.client.getBlockNumber();
    await Promise.all([indexers.pglite.waitForBlock(head), indexers.postgres?.waitForBlock(head)]);
  });

  after(async function () {
    await indexers.pglite?.stop();
    await indexers.postgres?.stop();
    await node?.stop();
  });

  it("PGlite: every REST answer equals the chain's state", async function () {
    await expectIndexerEqualsChain(indexers.pglite!, scenario);
  });

  it("PostgreSQL: every REST answer equals the chain's state", async function () {
    if (indexers.postgres === undefined) {
      console.log("    (skipped: set TEST_DATABASE_URL, e.g. eval \"$(bash scripts/ci-postgres.sh)\")");
      this.skip();
    }
    await expectIndexerEqualsChain(indexers.postgres, scenario);
  });

  it("answers bad parameters with 400 and a code, unknown resources with 404", async function () {
    const indexer = indexers.pglite!;
    const coin = scenario.coin!;
    const bad: [string, string][] = [
      ["/tracks?limit=0", "invalid_parameter"],
      ["/tracks?limit=101", "invalid_parameter"],
      ["/tracks?limit=ten", "invalid_parameter"],
      ["/tracks?cursor=not-a-cursor", "invalid_cursor"],
      ["/tracks?creator=0x1234", "invalid_parameter"],
      ["/tracks/abc", "invalid_parameter"],
      ["/tracks/-1", "invalid_parameter"],
      ["/tracks/top?window=1y", "invalid_parameter"],
      ["/tracks/top?at=yesterday", "invalid_parameter"],
      ["/creators/not-an-address", "invalid_parameter"],
      ["/coins/0x12", "invalid_parameter"],
      [`/coins/${coin}/candles`, "invalid_parameter"],
      [`/coins/${coin}/candles?interval=5m`, "invalid_parameter"],
      [`/coins/${coin}/candles?interval=1h&from=10&to=5`, "invalid_parameter"],
      [`/coins/${coin}/holders?cursor=${Buffer.from('["x"]').toString("base64url")}`, "invalid_cursor"],
      ["/batches/1.5", "invalid_parameter"],
      ["/batches?limit=-3", "invalid_parameter"],
      ["/listeners/0xZZ", "invalid_parameter"],
      ["/artists/0x00/earnings", "invalid_parameter"],
      ["/holders/nobody/earnings", "invalid_parameter"],
    ];
    for (const [path, code] of bad) {
      const { status, body } = await indexer.get(path);
      expect([path, status, body?.error?.code]).to.deep.equal([path, 400, code]);
      expect(body.error.message).to.be.a("string").and.not.equal("");
    }
    const missing: [string, string][] = [
      ["/tracks/999", "track_not_found"],
      ["/batches/999", "batch_not_found"],
      ["/coins/0x000000000000000000000000000000000000dEaD", "coin_not_found"],
      ["/coins/0x000000000000000000000000000000000000dEaD/candles?interval=1m", "coin_not_found"],
      ["/creators/0x000000000000000000000000000000000000dEaD", "creator_not_found"],
    ];
    for (const [path, code] of missing) {
      const { status, body } = await indexer.get(path);
      expect([path, status, body?.error?.code]).to.deep.equal([path, 404, code]);
    }
  });

  it("describes its REST routes in /openapi.json (OpenAPI 3.1) with their parameter schemas, and serves /docs", async function () {
    const indexer = indexers.pglite!;
    const response = await fetch(`${indexer.url}/openapi.json`);
    expect(response.status).to.equal(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: Record<string, unknown> }[] }>> };
    expect(document.openapi).to.equal("3.1.0");
    // Every route (the API refuses to load with one that has no schema: see indexer/src/api/openapi.ts).
    expect(Object.keys(document.paths).sort()).to.deep.equal(
      [
        "/tracks",
        "/tracks/top",
        "/tracks/{id}",
        "/creators/{address}",
        "/creators/{address}/holder-revenue",
        "/coins",
        "/coins/{address}",
        "/coins/{address}/candles",
        "/coins/{address}/holders",
        "/stats",
        "/batches",
        "/batches/{id}",
        "/listeners/{address}",
        "/artists/{address}/earnings",
        "/holders/{address}/earnings",
      ].sort(),
    );
    const window = document.paths["/tracks/top"]!.get!.parameters!.find((parameter) => parameter.name === "window");
    expect(window).to.deep.include({ in: "query", schema: { type: "string", enum: ["24h", "7d", "30d", "all"], default: "all" } });
    const docs = await fetch(`${indexer.url}/docs`);
    expect(docs.status).to.equal(200);
    expect(await docs.text()).to.include("/openapi.json");
  });

  it("serves SQL over HTTP (the @ponder/client protocol) beside REST, read-only", async function () {
    const indexer = indexers.pglite!;
    // @ponder/client sends superjson({ sql, params }) in the `sql` query parameter of GET /sql/db.
    const query = (sql: string) => fetch(`${indexer.url}/sql/db?sql=${encodeURIComponent(JSON.stringify({ json: { sql, params: [] } }))}`);
    const response = await query("select id, plays from track order by id");
    const body = (await response.json()) as any;
    expect(response.status, JSON.stringify(body)).to.equal(200);
    const rest = await indexer.get("/tracks?limit=100");
    expect(JSON.stringify(body)).to.include(rest.body.items[0].plays);
    const rows = Array.isArray(body) ? body : body.rows;
    expect(rows).to.have.length(rest.body.items.length);
    const write = await query("delete from track");
    expect(write.status).to.not.equal(200);
  });

  it("serves GraphQL beside REST, with the same rows", async function () {
    const indexer = indexers.pglite!;
    const response = await fetch(`${indexer.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ tracks(orderBy: \"id\", orderDirection: \"asc\") { items { id plays creator } } coin(address: \"" + scenario.coin!.toLowerCase() + "\") { symbol holders } }" }),
    });
    const body = (await response.json()) as any;
    expect(response.status, JSON.stringify(body)).to.equal(200);
    const rest = await indexer.get("/tracks?limit=100");
    expect(body.data.tracks.items).to.deep.equal(rest.body.items.map((row: any) => ({ id: row.id, plays: row.plays, creator: row.creator })));
    const coin = await indexer.get(`/coins/${scenario.coin}`);
    expect(body.data.coin).to.deep.equal({ symbol: coin.body.symbol, holders: coin.body.holders });
  });

  it("names each figure the same in GraphQL as in REST (docs/indexer.md, Names)", async function () {
    const indexer = indexers.pglite!;
    const { creatorA, listener1 } = scenario.actors;
    const batches = await indexer.get("/batches?limit=1");
    // REST answer, GraphQL type, the figures REST computes beyond the row, the GraphQL fields REST does not answer
    // (relations, named `…Row`/`…Rows` where the plain name is already a column, and replay bookkeeping).
    const entities: { path: string; type: string; restOnly: string[]; graphqlOnly: string[] }[] = [
      { path: "/tracks/1", type: "track", restOnly: [], graphqlOnly: ["creatorRow"] },
      { path: `/creators/${creatorA.address}`, type: "creator", restOnly: [], graphqlOnly: ["trackRows"] },
      {
        path: `/coins/${scenario.coin}`,
        type: "coin",
        restOnly: ["revenuePerToken", "eligibleSupply", "undistributedRevenue", "revenueAsOf", "volume24hUsdc"],
        graphqlOnly: ["sellFeePending", "holderRows", "tradeRows", "candles"],
      },
      { path: `/batches/${batches.body.items[0].id}`, type: "playBatch", restOnly: [], graphqlOnly: [] },
      { path: `/listeners/${listener1.address}`, type: "listener", restOnly: [], graphqlOnly: [] },
    ];
    for (const { path, type, restOnly, graphqlOnly } of entities) {
      const rest = await indexer.get(path);
      expect(rest.status, path).to.equal(200);
      const response = await fetch(`${indexer.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `{ __type(name: "${type}") { fields { name } } }` }),
      });
      const { data } = (await response.json()) as { data: { __type: { fields: { name: string }[] } | null } };
      expect(data.__type, type).to.not.equal(null);
      const graphql = data.__type!.fields.map((field) => field.name).filter((name) => !graphqlOnly.includes(name)).sort();
      const answered = Object.keys(rest.body).filter((name) => !restOnly.includes(name)).sort();
      expect(answered, `${path} against GraphQL ${type}`).to.deep.equal(graphql);
    }
  });
});
