import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryStorage, localStorageStorage, type ItemResult, type QueueRejection } from "../../client/index.js";
import { fileStorage } from "../../client/node.js";
import { fakeClock, fakePage, fakeRelayer, rejection, settle, testClient } from "./fakes.js";

describe("client queue", function () {
  it("sends 50 events in one request as soon as the 50th is queued, without waiting for the timer", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const { client } = testClient({ clock, relayer });
    const results = Array.from({ length: 120 }, (_, index) => client.like(index + 1));
    await settle(40);
    // Two full batches left at once; the 20 left over wait for the 5 s timer.
    expect(relayer.requests.map((request) => request.items.length)).to.deep.equal([50, 50]);
    expect(client.pending()).to.equal(20);
    await clock.advance(4_999);
    expect(relayer.requests).to.have.length(2);
    await clock.advance(1);
    expect(relayer.requests.map((request) => request.items.length)).to.deep.equal([50, 50, 20]);
    const answers = await Promise.all(results);
    expect(answers.every((answer) => answer.status === "accepted" && answer.effect === "applied")).to.equal(true);
    expect(client.pending()).to.equal(0);
  });

  it("sends a partial batch 5 s after its first event, plays and engagement to their own endpoints", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const { client } = testClient({ clock, relayer });
    const play = client.sendPlay({ trackId: 3n, startedAt: Math.floor(clock.now() / 1000) - 30, durationSeconds: 30 });
    await clock.advance(2_000);
    const like = client.like(3n);
    await clock.advance(2_999);
    expect(relayer.requests).to.have.length(0);
    await clock.advance(1);
    expect(relayer.requests.map((request) => [request.url, request.items.length, request.contentType])).to.deep.equal([
      ["http://relayer.test/v1/plays", 1, "application/json"],
      ["http://relayer.test/v1/engagement", 1, "application/json"],
    ]);
    expect(await play).to.deep.equal({ status: "accepted", id: "1" });
    expect(await like).to.deep.equal({ status: "accepted", id: "2", effect: "applied" });
  });

  it("retries network errors, 5xx and 429 with exponential backoff and jitter, honouring Retry-After", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer(["network", { status: 503 }, { status: 500 }, { status: 429, headers: { "retry-after": "30" } }, "network"]);
    const retries: { attempt: number; delayMs: number }[] = [];
    const { client } = testClient({ clock, relayer, retry: { baseMs: 1_000, maxMs: 8_000 }, random: () => 0.5, onRetry: ({ attempt, delayMs }) => retries.push({ attempt, delayMs }) });
    const result = client.save(9n);
    await clock.advance(5_000);
    await clock.advance(120_000);
    // Equal jitter with random() = 0.5: 3/4 of min(8 s, 1 s × 2^(n-1)); the 429 waits its 30 s Retry-After.
    expect(retries).to.deep.equal([
      { attempt: 1, delayMs: 750 },
      { attempt: 2, delayMs: 1_500 },
      { attempt: 3, delayMs: 3_000 },
      { attempt: 4, delayMs: 30_000 },
      { attempt: 5, delayMs: 6_000 },
    ]);
    expect(relayer.requests).to.have.length(6);
    // The same signed event each time (same nonce): a resend can never count twice.
    expect(new Set(relayer.requests.map((request) => request.items[0]!.nonce)).size).to.equal(1);
    expect(await result).to.deep.include({ status: "accepted" });
  });

  it("keeps jitter between half and all of the ceiling", async function () {
    for (const [random, expected] of [[0, 500], [0.99, 995]] as const) {
      const clock = fakeClock();
      const relayer = fakeRelayer(["network"]);
      const delays: number[] = [];
      const { client } = testClient({ clock, relayer, random: () => random, onRetry: ({ delayMs }) => delays.push(delayMs) });
      void client.like(1n);
      await clock.advance(5_000);
      expect(delays).to.deep.equal([expected]);
    }
  });

  it("never retries a rejected item or a whole-request 4xx: reports the code to onRejected and drops it", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer([
      (request) => Response.json({ results: request.items.map((_, index) => (index === 0 ? { status: "rejected", code: "unknown_track", message: "no such track" } : { status: "accepted", id: "7", effect: "unchanged" })) }, { status: 202 }),
      { status: 400, body: { error: { code: "invalid_request", message: "events: bad" } } },
    ]);
    const rejections: QueueRejection[] = [];
    const { client } = testClient({ clock, relayer, onRejected: (rejection) => rejections.push(rejection) });
    const first = client.like(999n);
    const second = client.like(1n);
    await clock.advance(5_000);
    expect(await first).to.deep.equal({ status: "rejected", code: "unknown_track", message: "no such track" });
    expect(await second).to.deep.equal({ status: "accepted", id: "7", effect: "unchanged" });
    const third = client.download(2n);
    await clock.advance(5_000);
    expect(await third).to.deep.equal({ status: "rejected", code: "invalid_request", message: "events: bad" });
    await clock.advance(600_000);
    expect(relayer.requests).to.have.length(2);
    expect(rejections.map((rejection) => [rejection.code, rejection.event.item.action])).to.deep.equal([["unknown_track", "like"], ["invalid_request", "download"]]);
    expect(client.pending()).to.equal(0);
  });

  it("reads a duplicate_nonce after an unanswered send as delivered, not as a rejection", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer(["network", (request) => Response.json({ results: request.items.map(() => ({ status: "rejected", code: "duplicate_nonce" })) }, { status: 202 })]);
    const rejections: QueueRejection[] = [];
    const { client } = testClient({ clock, relayer, onRejected: (rejection) => rejections.push(rejection) });
    const result = client.follow("0x00000000000000000000000000000000000000a1");
    await clock.advance(5_000);
    await clock.advance(2_000);
    expect(await result).to.deep.equal({ status: "delivered" });
    expect(rejections).to.deep.equal([]);
  });

  it("keeps unsent events in storage while offline and sends them from a new client after a restart", async function () {
    const clock = fakeClock();
    const storage = memoryStorage();
    const down = fakeRelayer(Array.from({ length: 100 }, () => "network" as const));
    const { client, account } = testClient({ clock, relayer: down, storage });
    void client.like(1n);
    void client.share(2n, "farcaster");
    await clock.advance(5_000);
    expect(storage.events.map((event) => event.item.action)).to.deep.equal(["like", "share"]);
    expect(storage.events.every((event) => event.tried === true)).to.equal(true);
    await client.close();

    // The page comes back: a new client over the same storage sends what the old one signed.
    const up = fakeRelayer();
    const results: ItemResult[] = [];
    const { client: restarted } = testClient({ clock, relayer: up, storage, wallet: account, onResult: (result) => results.push(result) });
    await restarted.ready;
    expect(restarted.pending()).to.equal(2);
    await clock.advance(5_000);
    expect(up.items().map((item) => [item.action, item.text])).to.deep.equal([["like", ""], ["share", "farcaster"]]);
    expect(results.map((result) => result.status)).to.deep.equal(["accepted", "accepted"]);
    expect(storage.events).to.deep.equal([]);
  });

  it("waits for the browser's online event while navigator.onLine is false, then sends at once", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const page = fakePage();
    page.environment.navigator.onLine = false;
    const { client } = testClient({ clock, relayer, environment: page.environment });
    const result = client.unlike(4n);
    await clock.advance(60_000);
    expect(relayer.requests).to.have.length(0);
    page.environment.navigator.onLine = true;
    page.fire("online");
    await settle();
    expect(relayer.requests).to.have.length(1);
    expect(await result).to.deep.include({ status: "accepted" });
  });

  it("persists to localStorage and to a file, and restores from both", async function () {
    const map = new Map<string, string>();
    const webStorage = { getItem: (key: string) => map.get(key) ?? null, setItem: (key: string, value: string) => void map.set(key, value), removeItem: (key: string) => void map.delete(key) };
    const directory = await mkdtemp(join(tmpdir(), "client-queue-"));
    try {
      for (const storage of [localStorageStorage({ storage: webStorage }), fileStorage(join(directory, "queue.json"))]) {
        const clock = fakeClock();
        const { client, account } = testClient({ clock, relayer: fakeRelayer(["network"]), storage });
        void client.comment(5n, "lovely bridge at 1:02", { positionSeconds: 62 });
        expect(await client.flush()).to.equal(1);
        await client.close();
        const restored = await storage.load();
        expect(restored.map((event) => event.item.text)).to.deep.equal(["lovely bridge at 1:02"]);
        const relayer = fakeRelayer();
        const { client: again } = testClient({ clock, relayer, storage, wallet: account });
        expect(await again.flush()).to.equal(0);
        await again.close();
        expect(relayer.items().map((item) => item.value)).to.deep.equal([62]);
        expect(await storage.load()).to.deep.equal([]);
      }
      expect(map.has("beatstream:queue")).to.equal(false);
      expect(JSON.parse(await readFile(join(directory, "queue.json"), "utf8"))).to.deep.equal([]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("beacons what waits as text/plain when the page is hidden, and on pagehide", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const page = fakePage();
    const storage = memoryStorage();
    const { client } = testClient({ clock, relayer, storage, environment: page.environment });
    const play = client.sendPlay({ trackId: 1n, startedAt: Math.floor(clock.now() / 1000) - 25, durationSeconds: 25 });
    const like = client.like(1n);
    await settle();
    page.environment.document.visibilityState = "hidden";
    page.fire("visibilitychange");
    // A Blob's type is lowercased (File API), so the header reads text/plain;charset=utf-8: CORS-safelisted either way.
    expect(page.beacons.map((beacon) => [beacon.url, beacon.type])).to.deep.equal([
      ["http://relayer.test/v1/plays", "text/plain;charset=utf-8"],
      ["http://relayer.test/v1/engagement", "text/plain;charset=utf-8"],
    ]);
    const playBody = JSON.parse(await page.beacons[0]!.text) as { plays: { trackId: string }[] };
    expect(playBody.plays.map((item) => item.trackId)).to.deep.equal(["1"]);
    expect(JSON.parse(await page.beacons[1]!.text).events).to.have.length(1);
    expect(await play).to.deep.equal({ status: "beaconed" });
    expect(await like).to.deep.equal({ status: "beaconed" });
    await settle();
    expect(storage.events).to.deep.equal([]);
    expect(relayer.requests).to.have.length(0);

    void client.save(2n);
    await settle();
    page.fire("pagehide");
    expect(page.beacons).to.have.length(3);
    await client.close();
    expect(page.listenerCount()).to.equal(0);
  });

  it("keeps events queued when the browser refuses the beacon", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const page = fakePage({ beaconAccepts: false });
    const { client } = testClient({ clock, relayer, environment: page.environment });
    const like = client.like(1n);
    await settle();
    page.fire("pagehide");
    expect(client.pending()).to.equal(1);
    await clock.advance(5_000);
    expect(await like).to.deep.include({ status: "accepted" });
  });

  it("sends a signed event queued twice once, and answers both callers", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const { client } = testClient({ clock, relayer });
    const nonce = `0x${"5a".repeat(32)}` as const;
    const play = { trackId: 2n, startedAt: Math.floor(clock.now() / 1000) - 60, durationSeconds: 60, nonce };
    const [first, second] = [client.sendPlay(play), client.sendPlay(play)];
    expect(await client.flush()).to.equal(0);
    expect(relayer.items()).to.have.length(1);
    expect(await first).to.deep.equal({ status: "accepted", id: "1" });
    expect(await second).to.deep.equal({ status: "accepted", id: "1" });
  });

  it("flush() sends everything now and returns what is left; a full queue refuses to sign more", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer(["network"]);
    const { client } = testClient({ clock, relayer, maxQueued: 3 });
    await Promise.all([client.like(1n), client.like(2n), client.like(3n)].map((sent) => Promise.race([sent, settle(20)])));
    expect(await rejection(client.like(4n))).to.have.property("code", "queue_full");
    expect(await client.flush()).to.equal(3);
    expect(await client.flush()).to.equal(0);
    expect(relayer.requests.map((request) => request.items.length)).to.deep.equal([3, 3]);
  });
});
