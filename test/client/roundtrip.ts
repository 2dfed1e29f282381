/**
 * The SDK against the real relayer app (the API over PGlite and a local chain with the protocol deployed), through
 * `app.request` as its fetch: what the client signs is what the relayer verifies, stores and reports.
 */
import { expect } from "chai";
import type { Address } from "viem";
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

  const get = async <Body>(path: string): Promise<Body> => {
    const response = await app.request(path);
    expect(response.status, path).to.equal(200);
    return (await response.json()) as Body;
  };
  const countEvents = async () => Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM engagement_events`)).rows[0]!.n);

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

  it("every engagement action round-trips signed through the SDK into the relayer's state and the fan's view", async function () {
    const { sdk, rejections } = client();
    const artist = chain.creator.address as Address;
    const sent = {
      like: sdk.like(1n),
      likeAgain: sdk.like(1n),
      unlikeNothing: sdk.unlike(2n),
      likeThenUnlike: sdk.like(3n),
      unlike: sdk.unlike(3n),
      save: sdk.save(2n),
      share: sdk.share(3n, "farcaster"),
      download: sdk.download(3n),
      follow: sdk.follow(artist),
      playlist: sdk.createPlaylist({ name: "Late night", public: true }),
    };
    const { playlistId } = await Promise.race([sent.playlist, sdk.flush().then(() => sent.playlist)]);
    const more = {
      add1: sdk.addToPlaylist(playlistId, 1n),
      add2: sdk.addToPlaylist(playlistId, 2n, 0),
      add3: sdk.addToPlaylist(playlistId, 3n),
      move: sdk.moveInPlaylist(playlistId, 3n, 0),
      remove: sdk.removeFromPlaylist(playlistId, 2n),
      rename: sdk.renamePlaylist(playlistId, "Late night mix"),
      kept: sdk.comment(3n, "the bridge at 1:02 🔥", { positionSeconds: 62 }),
      dropped: sdk.comment(3n, "first!"),
      unknown: sdk.like(9_999n),
    };
    expect(await sdk.flush()).to.equal(0);
    const dropped = await more.dropped;
    const deleted = sdk.deleteComment(3n, dropped.commentId);
    expect(await sdk.flush()).to.equal(0);

    const effects = Object.fromEntries(await Promise.all(Object.entries({ ...sent, ...more, deleted }).map(async ([name, promise]) => [name, await promise])));
    for (const name of ["like", "likeThenUnlike", "unlike", "save", "share", "download", "follow", "playlist", "add1", "add2", "add3", "move", "remove", "rename", "kept", "dropped", "deleted"]) {
      expect(effects[name], name).to.deep.include({ status: "accepted", effect: "applied" });
    }
    // Toggles are idempotent: a second like and an unlike of nothing are stored but change nothing.
    expect(effects.likeAgain).to.deep.include({ status: "accepted", effect: "unchanged" });
    expect(effects.unlikeNothing).to.deep.include({ status: "accepted", effect: "unchanged" });
    expect(effects.unknown).to.deep.equal({ status: "rejected", code: "unknown_track" });
    expect(rejections.map((rejection) => rejection.code)).to.deep.equal(["unknown_track"]);

    const fan = sdk.address.toLowerCase();
    const likes = await get<{ tracks: { trackId: string }[] }>(`/v1/fans/${fan}/likes`);
    expect(likes.tracks.map((track) => track.trackId)).to.deep.equal(["1"]);
    const saves = await get<{ tracks: { trackId: string }[] }>(`/v1/fans/${fan}/saves`);
    expect(saves.tracks.map((track) => track.trackId)).to.deep.equal(["2"]);
    const follows = await get<{ artists: { artist: string }[] }>(`/v1/fans/${fan}/follows`);
    expect(follows.artists.map((entry) => entry.artist)).to.deep.equal([artist.toLowerCase()]);
    const playlist = await get<{ name: string; public: boolean; owner: string; tracks: string[] }>(`/v1/playlists/${playlistId}`);
    expect(playlist).to.deep.include({ name: "Late night mix", public: true, owner: fan });
    expect(playlist.tracks).to.deep.equal(["3", "1"]);
    const comments = await get<{ comments: { id: string; body: string; positionSeconds: number | null }[] }>(`/v1/tracks/3/comments`);
    expect(comments.comments.map((entry) => [entry.id, entry.body, entry.positionSeconds])).to.deep.equal([[(await more.kept).commentId, "the bridge at 1:02 🔥", 62]]);
    const { rows } = await db.query<{ action: string; text: string }>(`SELECT action, text FROM engagement_events WHERE fan = $1 AND action = 'share'`, [fan]);
    expect(rows).to.deep.equal([{ action: "share", text: "farcaster" }]);
  });

  it("a tracked play reaches the fan's history with how it ended, its source and session", async function () {
    const { sdk, clock } = client();
    const tracker = createPlayTracker(sdk, { trackId: 2n, source: "playlist" });
    tracker.start();
    await clock.advance(30_000);
    tracker.pause();
    await clock.advance(5_000);
    tracker.resume();
    await clock.advance(10_000);
    const ending = tracker.end("skip");
    await sdk.flush();
    const { play, outcome } = await ending;
    expect(play?.status).to.equal("accepted");
    expect(outcome).to.deep.include({ status: "accepted", effect: "applied" });
    const history = await get<{ plays: { trackId: string; durationSeconds: number; outcome: { action: string; source: string; seconds: number; sessionId: string } | null }[] }>(
      `/v1/fans/${sdk.address.toLowerCase()}/history`,
    );
    expect(history.plays).to.have.length(1);
    expect(history.plays[0]).to.deep.include({ trackId: "2", durationSeconds: 20 });
    expect(history.plays[0]!.outcome).to.deep.equal({ ...history.plays[0]!.outcome, action: "play_skip", source: "playlist", seconds: 40, sessionId: sdk.sessionId });
  });

  it("a bad event is refused by the SDK before signing and stores nothing at the relayer", async function () {
    const { sdk } = client();
    const before = await countEvents();
    const refused = await sdk.comment(1n, "   ").then(() => undefined, (error: unknown) => error);
    expect(refused).to.have.property("code", "invalid_event");
    // A fan cannot follow itself: the relayer's own rule, checked by the SDK through the same code (engagement/rules.ts).
    expect(await sdk.follow(sdk.address).then(() => undefined, (error: unknown) => error)).to.have.property("code", "invalid_event");
    expect(await sdk.flush()).to.equal(0);
    expect(await countEvents()).to.equal(before);
  });

  it("a beacon (text/plain, no answer read) stores the plays and events it carries", async function () {
    const page = fakePage();
    const { sdk } = client({ environment: page.environment });
    const before = await countPlays(db);
    void sdk.sendPlay({ trackId: 2n, startedAt: NOW - 200, durationSeconds: 60 });
    void sdk.sendPlay({ trackId: 3n, startedAt: NOW - 100, durationSeconds: 45 });
    void sdk.save(3n);
    const events = await countEvents();
    for (let turn = 0; turn < 50 && sdk.pending() < 3; turn++) await settle(1);
    page.fire("pagehide");
    expect(sdk.pending()).to.equal(0);
    for (const beacon of page.beacons) {
      const response = await app.request(beacon.url.replace("http://relayer.local", ""), { method: "POST", headers: { "content-type": beacon.type }, body: await beacon.text });
      expect(response.status).to.equal(202);
    }
    expect(page.beacons).to.have.length(2);
    expect(await countPlays(db)).to.equal(before + 2);
    expect(await countEvents()).to.equal(events + 1);
    await sdk.close();
  });
});
