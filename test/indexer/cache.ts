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

  it("reads INDEXER_API_CACHE_MS (default 1000 ms) and refuses nonsense", function () {
    expect(cacheTtlFromEnv(undefined)).to.equal(1_000);
    expect(cacheTtlFromEnv("0")).to.equal(0);
    expect(cacheTtlFromEnv("250")).to.equal(250);
    expect(() => cacheTtlFromEnv("1s")).to.throw(/INDEXER_API_CACHE_MS/);
  });
});
