import { expect } from "chai";
import { createPlayTracker, type ItemResult } from "../../client/index.js";
import { fakeClock, fakeRelayer, rejection, settle, START_MS, testClient } from "./fakes.js";

function setup() {
  const clock = fakeClock();
  const relayer = fakeRelayer();
  const { client } = testClient({ clock, relayer, maxDelayMs: 1 });
  return { clock, relayer, client };
}

describe("client play tracker", function () {
  it("sends the qualifying Play after 20 s actually heard, with startedAt when listening began; pauses do not count", async function () {
    const { clock, relayer, client } = setup();
    const plays: ItemResult[] = [];
    const tracker = createPlayTracker(client, { trackId: 5n, source: "playlist", onPlay: (result) => plays.push(result) });
    tracker.start();
    await clock.advance(12_000);
    tracker.pause();
    await clock.advance(60_000);
    expect(relayer.requests).to.have.length(0);
    tracker.resume();
    await clock.advance(7_999);
    expect(relayer.requests).to.have.length(0);
    // (chai's closeTo is replaced by a bigint-only one once Hardhat's matchers load.)
    expect(Math.round(tracker.heardSeconds() * 1000)).to.equal(19_999);
    await clock.advance(1);
    await clock.advance(10);
    expect(relayer.items()).to.have.length(1);
    expect(relayer.items()[0]).to.deep.include({ trackId: "5", startedAt: START_MS / 1000, durationSeconds: 20 });
    expect(plays).to.deep.equal([{ status: "accepted", id: "1" }]);

    await clock.advance(100_000);
    const ending = tracker.end("complete");
    await clock.advance(10);
    const ended = await ending;
    // One Play only; the outcome carries the seconds heard (12 + 108), the source and the client's session.
    expect(relayer.items().map((item) => item.action ?? "play")).to.deep.equal(["play", "play_complete"]);
    expect(relayer.items()[1]).to.deep.include({ trackId: "5", text: "playlist", value: 120, subject: client.sessionId });
    expect(ended.play).to.deep.equal({ status: "accepted", id: "1" });
    expect(ended.outcome).to.deep.include({ status: "accepted" });
    expect(tracker.state()).to.equal("ended");
  });

  it("sends no Play for a skip before 20 s, only play_skip at the playhead's second", async function () {
    const { clock, relayer, client } = setup();
    const tracker = createPlayTracker(client, { trackId: 2n, source: "search", sessionId: `0x${"ab".repeat(32)}` });
    tracker.start(30);
    await clock.advance(9_500);
    const ending = tracker.end("skip");
    await clock.advance(10);
    const ended = await ending;
    expect(ended.play).to.equal(undefined);
    expect(relayer.items()).to.have.length(1);
    expect(relayer.items()[0]).to.deep.include({ action: "play_skip", trackId: "2", text: "search", value: 39, subject: `0x${"ab".repeat(32)}` });
  });

  it("does not count a seek as heard time, and moves the playhead", async function () {
    const { clock, relayer, client } = setup();
    const tracker = createPlayTracker(client, { trackId: 1n, source: "profile" });
    tracker.start();
    await clock.advance(10_000);
    tracker.seek(150);
    expect(tracker.positionSeconds()).to.equal(150);
    await clock.advance(5_000);
    expect(tracker.heardSeconds()).to.equal(15);
    expect(tracker.positionSeconds()).to.equal(155);
    const ending = tracker.end("skip");
    await clock.advance(10);
    await ending;
    expect(relayer.items().map((item) => [item.action, item.value])).to.deep.equal([["play_skip", 155]]);
  });

  it("sends the Play at the end when its timer has not fired (a throttled background tab)", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    // Timers that never fire: only the end can send.
    const { client } = testClient({ clock, relayer, timers: { setTimeout: () => 0, clearTimeout: () => undefined } });
    const tracker = createPlayTracker(client, { trackId: 3n, source: "radio" });
    tracker.start();
    clock.timers.setTimeout(() => undefined, 0);
    await clock.advance(45_000);
    const ending = tracker.end("complete");
    await settle();
    await client.flush();
    const ended = await ending;
    expect(relayer.items().map((item) => item.action ?? `play ${item.durationSeconds}`)).to.deep.equal(["play 45", "play_complete"]);
    expect(ended.play).to.deep.include({ status: "accepted" });
  });

  it("refuses events out of order", async function () {
    const { client } = setup();
    const tracker = createPlayTracker(client, { trackId: 1n, source: "other" });
    expect(String(await rejection(tracker.end("skip")))).to.match(/end while idle/);
    tracker.start();
    expect(() => tracker.start()).to.throw(/start while playing/);
    expect(() => createPlayTracker(client, { trackId: 0n, source: "other" })).to.throw(/trackId/);
  });
});
