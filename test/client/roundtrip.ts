/**
 * The SDK against the real relayer app (the API over PGlite and a local chain with the protocol deployed), through
 * `app.request` as its fetch: what the client signs is what the relayer verifies, stores and reports.
 */
import { expect } from "chai";
import { createBeatStreamClient, createPlayTracker, type ItemResult, type QueueRejection } from "../../client/index.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { BACKENDS, buildApp, countPlays, deployChain, newListener, type Chain } from "../relayer/core.helpers.js";
import { fakeClock, fakePage, settle } from "./fakes.js";

/** The relayer's clock (unix seconds); the client's starts two minutes earlier, so its plays have ended by then. */
const NOW = 1_900_000_000;
const backend = BACKENDS[0]!;

describe("client round trip against the relayer", function () {
  this.timeout(180_000);
  let chain: Chain;
  let db: Database;
  let dispose: () => Promise<void>;
  let app: ReturnType<typeof buildApp>["app"];

  before(async () => {
    chain = await deployChain(3);
    ({ db, dispose } = await backend.open());
    ({ app } = buildApp({ db, chain, now: NOW }));
  });
  after(async () => dispose());

  const relayerFetch = (input: string | URL | Request, init?: RequestInit) => Promise.resolve(app.request(String(input), init));

  function client(overrides: Partial<Parameters<typeof createBeatStreamClient>[0]> = {}) {
    const clock = fakeClock((NOW - 120) * 1000);
    const rejections: QueueRejection[] = [];
    const sdk = createBeatStreamClient({
      relayerUrl: "http://relayer.local",
      chainId: chain.chainId,
      musicNFT: chain.musicNFT,
      wallet: newListener(),
      fetch: relayerFetch,
      now: clock.now,
      timers: clock.timers,
      environment: null,
      onRejected: (rejection) => rejections.push(rejection),
      ...overrides,
    });
    return { sdk, clock, rejections };
  }

  it("sends plays the relayer accepts and stores as signed; a too-short one is rejected to onRejected", async function () {
    const { sdk, rejections } = client();
    const before = await countPlays(db);
    const accepted = sdk.sendPlay({ trackId: 1n, startedAt: NOW - 300, durationSeconds: 180 });
    const short = sdk.sendPlay({ trackId: 2n, startedAt: NOW - 300, durationSeconds: 12 });
    expect(await sdk.flush()).to.equal(0);
    const result = await accepted;
    expect(result.status).to.equal("accepted");
    expect(await short).to.deep.include({ status: "rejected", code: "too_short" });
    expect(rejections.map((rejection) => rejection.code)).to.deep.equal(["too_short"]);
    expect(await countPlays(db)).to.equal(before + 1);
    const stored = (await (await app.request(`/v1/plays/${(result as { id: string }).id}`)).json()) as { play: { listener: string; trackId: string; durationSeconds: number } };
    expect(stored.play).to.deep.include({ listener: sdk.address.toLowerCase(), trackId: "1", durationSeconds: 180 });
  });

  it("a tracked play: the qualifying Play after 20 s heard is accepted with startedAt when listening began", async function () {
    const { sdk, clock } = client();
    const plays: ItemResult[] = [];
    const tracker = createPlayTracker(sdk, { trackId: 3n, source: "radio", onPlay: (result) => plays.push(result) });
    tracker.start();
    await clock.advance(21_000);
    expect(await sdk.flush()).to.equal(0);
    await settle();
    expect(plays).to.have.length(1);
    expect(plays[0]!.status).to.equal("accepted");
    const stored = (await (await app.request(`/v1/plays/${(plays[0] as { id: string }).id}`)).json()) as { play: { startedAt: string; durationSeconds: number } };
    // The timer fires at the 20th second heard: the Play says 20.
    expect(stored.play).to.deep.include({ startedAt: String(NOW - 120), durationSeconds: 20 });
  });

  it("a beacon (text/plain, no answer read) stores the plays it carries", async function () {
    const page = fakePage();
    const { sdk } = client({ environment: page.environment });
    const before = await countPlays(db);
    void sdk.sendPlay({ trackId: 2n, startedAt: NOW - 200, durationSeconds: 60 });
    void sdk.sendPlay({ trackId: 3n, startedAt: NOW - 100, durationSeconds: 45 });
    for (let turn = 0; turn < 50 && sdk.pending() < 2; turn++) await settle(1);
    page.fire("pagehide");
    expect(sdk.pending()).to.equal(0);
    for (const beacon of page.beacons) {
      const response = await app.request(beacon.url.replace("http://relayer.local", ""), { method: "POST", headers: { "content-type": beacon.type }, body: await beacon.text });
      expect(response.status).to.equal(202);
    }
    expect(await countPlays(db)).to.equal(before + 2);
    await sdk.close();
  });
});
