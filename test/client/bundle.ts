/**
 * The SDK must work in a browser bundle: esbuild bundles `beatstream-protocol/client` for `platform: "browser"`,
 * which fails on any Node builtin, and the bundle then runs in a bare V8 context that has only what a page has
 * (no process, no require, no Buffer): it signs a like, stores it in localStorage, and hands it to sendBeacon.
 */
import { expect } from "chai";
import { build } from "esbuild";
import { createContext, runInContext } from "node:vm";
import { recoverTypedDataAddress } from "viem";
import { ENGAGEMENT_TYPES, playDomain, type EngagementItem } from "../../client/index.js";

const ROOT = new URL("../../", import.meta.url).pathname;

function bundle(entry: string) {
  return build({ entryPoints: [`${ROOT}${entry}`], bundle: true, platform: "browser", format: "iife", globalName: "BeatStream", write: false, metafile: true, logLevel: "silent" });
}

describe("client browser bundle", function () {
  this.timeout(120_000);

  it("bundles for the browser with no Node builtin, and runs in a context with only browser globals", async function () {
    const result = await bundle("client/index.ts");
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => input.startsWith("node:") || /(^|\/)node_modules\/(buffer|process|util|events)\//.test(input))).to.deep.equal([]);
    const code = result.outputFiles[0]!.text;
    console.log(`      (bundle: ${(code.length / 1024).toFixed(0)} KiB unminified, ${inputs.length} inputs)`);

    const stored = new Map<string, string>();
    const beacons: { url: string; type: string; body: Promise<string> }[] = [];
    const listeners = new Map<string, () => void>();
    const page = {
      crypto: globalThis.crypto,
      TextEncoder,
      TextDecoder,
      Blob,
      Response,
      Headers,
      URL,
      console,
      setTimeout,
      clearTimeout,
      Promise,
      localStorage: { getItem: (key: string) => stored.get(key) ?? null, setItem: (key: string, value: string) => void stored.set(key, value), removeItem: (key: string) => void stored.delete(key) },
      navigator: { onLine: true, sendBeacon: (url: string, data: Blob) => beacons.push({ url, type: data.type, body: data.text() }) > 0 },
      document: { visibilityState: "visible", addEventListener: (type: string, listener: () => void) => listeners.set(type, listener), removeEventListener: () => undefined },
      fetch: async () => {
        throw new TypeError("offline");
      },
    };
    const context = createContext({ ...page, window: undefined as unknown });
    runInContext("window = globalThis; window.addEventListener = (type, listener) => document.addEventListener(type, listener); window.removeEventListener = () => {};", context);
    runInContext(code, context);
    expect(runInContext("typeof process + typeof require + typeof Buffer", context)).to.equal("undefinedundefinedundefined");

    const sdk = runInContext("BeatStream", context);
    const { privateKeyToAccount } = await import("viem/accounts");
    const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    const musicNFT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const client = sdk.createBeatStreamClient({ relayerUrl: "https://relayer.example", chainId: 31337, musicNFT, wallet: account, storage: sdk.localStorageStorage() });
    void client.like(3n);
    for (let turn = 0; turn < 20 && stored.size === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(stored.get("beatstream:queue")!)).to.have.length(1);

    page.document.visibilityState = "hidden";
    listeners.get("visibilitychange")!();
    expect(beacons.map((beacon) => [beacon.url, beacon.type])).to.deep.equal([["https://relayer.example/v1/engagement", "text/plain;charset=utf-8"]]);
    const { events } = JSON.parse(await beacons[0]!.body) as { events: EngagementItem[] };
    const { signature, ...fields } = events[0]!;
    const signer = await recoverTypedDataAddress({
      domain: playDomain({ chainId: 31337, musicNFT }),
      types: ENGAGEMENT_TYPES,
      primaryType: "Engagement",
      message: { ...fields, trackId: BigInt(fields.trackId), issuedAt: BigInt(fields.issuedAt) },
      signature,
    });
    expect(signer).to.equal(account.address);
    await client.close();
  });

  it("fails for the Node entry, which imports node:fs (the check can fail)", async function () {
    const error = await bundle("client/node.ts").then(() => undefined, (reason: unknown) => reason);
    expect(String((error as Error | undefined)?.message)).to.match(/node:fs|node:path/);
  });
});
