import { expect } from "chai";
import { Hono } from "hono";
import { cacheTtlFromEnv, responseCache } from "../../indexer/src/api/cache.js";

/** The API's response cache, through `app.request()` without a socket. */
function countingApp(ttlMs: number) {
  let calls = 0;
  const app = new Hono()
    .get("/n", responseCache({ ttlMs, maxEntries: 2 }), (c) => c.json({ calls: ++calls, q: c.req.query("q") ?? null }))
    .get("/fail", responseCache({ ttlMs }), (c) => c.json({ calls: ++calls }, 400));
  return { app, calls: () => calls };
}

describe("indexer API response cache", function () {
  it("answers the same URL from memory until the TTL passes, per URL", async function () {
    const { app, calls } = countingApp(200);
    const first = await app.request("/n?q=a");
    expect(await first.json()).to.deep.equal({ calls: 1, q: "a" });
    const again = await app.request("/n?q=a");
    expect(again.headers.get("x-cache")).to.equal("hit");
    expect(await again.json()).to.deep.equal({ calls: 1, q: "a" });
    expect(await (await app.request("/n?q=b")).json()).to.deep.equal({ calls: 2, q: "b" });
    await new Promise((done) => setTimeout(done, 250));
    expect(await (await app.request("/n?q=a")).json()).to.deep.equal({ calls: 3, q: "a" });
    expect(calls()).to.equal(3);
  });

  it("keeps at most maxEntries answers, dropping the oldest", async function () {
    const { app } = countingApp(60_000);
    await app.request("/n?q=1");
    await app.request("/n?q=2");
    await app.request("/n?q=3");
    expect(await (await app.request("/n?q=1")).json()).to.deep.equal({ calls: 4, q: "1" });
    expect((await app.request("/n?q=3")).headers.get("x-cache")).to.equal("hit");
  });

  it("never keeps an error, and a TTL of 0 turns it off", async function () {
    const failing = countingApp(60_000);
    await failing.app.request("/fail");
    expect(await (await failing.app.request("/fail")).json()).to.deep.equal({ calls: 2 });
    const off = countingApp(0);
    await off.app.request("/n");
    expect(await (await off.app.request("/n")).json()).to.deep.equal({ calls: 2, q: null });
  });

  it("runs one computation per URL at a time: concurrent first requests share it, later ones get the stale answer while it refreshes", async function () {
    let calls = 0;
    let release: () => void = () => {};
    const app = new Hono().get("/slow", responseCache({ ttlMs: 100 }), async (c) => {
      const call = ++calls;
      await new Promise<void>((done) => (release = done));
      return c.json({ call });
    });
    const cold = [app.request("/slow"), app.request("/slow"), app.request("/slow")];
    await new Promise((done) => setTimeout(done, 20));
    release();
    const answers = await Promise.all(cold);
    expect(await Promise.all(answers.map((answer) => answer.json()))).to.deep.equal([{ call: 1 }, { call: 1 }, { call: 1 }]);
    expect(answers.map((answer) => answer.headers.get("x-cache"))).to.deep.equal([null, "shared", "shared"]);
    expect(calls).to.equal(1);

    await new Promise((done) => setTimeout(done, 150));
    const refreshing = app.request("/slow");
    await new Promise((done) => setTimeout(done, 20));
    const meanwhile = await app.request("/slow");
    expect(meanwhile.headers.get("x-cache")).to.equal("stale");
    expect(await meanwhile.json()).to.deep.equal({ call: 1 });
    release();
    expect(await (await refreshing).json()).to.deep.equal({ call: 2 });
    expect((await app.request("/slow")).headers.get("x-cache")).to.equal("hit");
    expect(calls).to.equal(2);
  });

  it("lets waiting requests compute for themselves when the shared computation fails", async function () {
    let calls = 0;
    let release: () => void = () => {};
    const app = new Hono().get("/flaky", responseCache({ ttlMs: 60_000 }), async (c) => {
      const call = ++calls;
      if (call === 1) {
        await new Promise<void>((done) => (release = done));
        return c.json({ error: { code: "internal_error", message: "first call fails" } }, 500);
      }
      return c.json({ call });
    });
    const first = app.request("/flaky");
    await new Promise((done) => setTimeout(done, 20));
    const second = app.request("/flaky");
    release();
    expect((await first).status).to.equal(500);
    expect(await (await second).json()).to.deep.equal({ call: 2 });
  });

  it("reads INDEXER_API_CACHE_MS (default 1000 ms) and refuses nonsense", function () {
    expect(cacheTtlFromEnv(undefined)).to.equal(1_000);
    expect(cacheTtlFromEnv("0")).to.equal(0);
    expect(cacheTtlFromEnv("250")).to.equal(250);
    expect(() => cacheTtlFromEnv("1s")).to.throw(/INDEXER_API_CACHE_MS/);
  });
});
