import { expect } from "chai";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cidOf, pieceCidOf } from "../../relayer/src/evidence/cid.js";
import { EvidenceError } from "../../relayer/src/errors.js";
import { InvalidCidError } from "../../relayer/src/evidence/errors.js";
import {
  DEFAULT_SNAPSHOT_DIR,
  LighthouseStore,
  LocalCasStore,
  SnapshotCorruptError,
  SnapshotNotFoundError,
  StoreBadResponseError,
  StoreCidMismatchError,
  StoreConfigError,
  StoreUnavailableError,
  type SnapshotStore,
} from "../../relayer/src/stores/index.js";
import { startLighthouseServer, type LighthouseFaults, type LighthouseStandIn } from "./helpers/lighthouse-server.js";

const SNAPSHOT = new TextEncoder().encode('{"batchId":"1","note":"a stand-in snapshot"}');
const BIG = Uint8Array.from({ length: 700_000 }, (_, i) => (i * 7) & 0xff); // three chunks: a dag-pb root
const UNKNOWN_CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"; // "hello world", never stored

/** Awaits `promise`, expecting it to reject with class `type` and `code`; returns the error. */
async function rejection<T extends EvidenceError>(promise: Promise<unknown>, type: new (...args: never[]) => T, code: string): Promise<T> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(thrown).to.be.instanceOf(type);
  if (!(thrown instanceof type)) throw new Error("unreachable");
  expect(thrown.code).to.equal(code);
  return thrown;
}

/** Behaviour every SnapshotStore shares: round trip with locally computed CIDs, has, idempotent put, bad CIDs. */
function behavesAsSnapshotStore(name: string, make: () => Promise<SnapshotStore>) {
  describe(`${name} as a SnapshotStore`, () => {
    it("stores and returns bytes under their locally computed CID and piece CID", async () => {
      const store = await make();
      for (const bytes of [SNAPSHOT, BIG]) {
        const stored = await store.put(bytes);
        expect(stored).to.deep.equal({ cid: await cidOf(bytes), pieceCid: pieceCidOf(bytes), size: bytes.length });
        expect(await store.has(stored.cid)).to.equal(true);
        expect(await store.get(stored.cid)).to.deep.equal(bytes);
        expect(await store.put(bytes)).to.deep.equal(stored);
      }
    });

    it("answers an unknown CID with not-found and a malformed one with invalid_cid", async () => {
      const store = await make();
      expect(await store.has(UNKNOWN_CID)).to.equal(false);
      const missing = await rejection(store.get(UNKNOWN_CID), SnapshotNotFoundError, "snapshot_not_found");
      expect(missing.cid).to.equal(UNKNOWN_CID);
      expect([missing.status, missing.name]).to.deep.equal([404, "SnapshotNotFoundError"]);
      for (const bad of ["../../etc/passwd", "QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u", pieceCidOf(SNAPSHOT)]) {
        expect((await rejection(store.get(bad), InvalidCidError, "invalid_cid")).status).to.equal(400);
        await rejection(store.has(bad), InvalidCidError, "invalid_cid");
      }
    });
  });
}

describe("relayer snapshot stores", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "relayer-snapshots-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }
  async function standIn(faults: Partial<LighthouseFaults> = {}): Promise<LighthouseStandIn> {
    const server = await startLighthouseServer(faults);
    cleanup.push(() => server.close());
    return server;
  }
  function lighthouse(server: LighthouseStandIn, overrides: { timeoutMs?: number; retries?: number } = {}) {
    // Small backoff keeps tests quick; the timeout is far below the stand-in's slow answers and far above a healthy one.
    return new LighthouseStore({ apiKey: "test-key", nodeUrl: server.url, apiUrl: server.url, gatewayUrl: `${server.url}/`, backoffMs: 5, timeoutMs: 2_000, retries: 3, ...overrides });
  }

  behavesAsSnapshotStore("LocalCasStore", async () => new LocalCasStore({ dir: await tempDir() }));
  behavesAsSnapshotStore("LighthouseStore", async () => lighthouse(await standIn()));

  describe("LocalCasStore", () => {
    it("defaults to .data/relayer/snapshots", () => {
      expect(new LocalCasStore().dir).to.equal(DEFAULT_SNAPSHOT_DIR).and.equal(".data/relayer/snapshots");
    });

    it("names files by CID, leaves no temporary file, and never rewrites a stored snapshot", async () => {
      const dir = await tempDir();
      const store = new LocalCasStore({ dir: join(dir, "nested", "snapshots") });
      const { cid } = await store.put(SNAPSHOT);
      const path = join(store.dir, cid);
      const before = await stat(path);
      await store.put(SNAPSHOT);
      await new LocalCasStore({ dir: store.dir }).put(SNAPSHOT);
      const after = await stat(path);
      expect(after.ino).to.equal(before.ino); // a rewrite goes through rename, i.e. a new inode
      expect(after.mtimeMs).to.equal(before.mtimeMs);
      expect(await readdir(store.dir)).to.deep.equal([cid]);
    });

    it("detects corruption on disk when reading, and a later put repairs the file", async () => {
      const store = new LocalCasStore({ dir: await tempDir() });
      const { cid } = await store.put(SNAPSHOT);
      const tampered = SNAPSHOT.map((byte, i) => (i === 10 ? byte ^ 1 : byte));
      await writeFile(join(store.dir, cid), tampered);
      const corrupt = await rejection(store.get(cid), SnapshotCorruptError, "snapshot_corrupt");
      expect(corrupt.cid).to.equal(cid);
      expect(corrupt.actualCid).to.equal(await cidOf(tampered));
      await store.put(SNAPSHOT);
      expect(await store.get(cid)).to.deep.equal(SNAPSHOT);
    });
  });

  describe("LighthouseStore against a local Lighthouse stand-in", () => {
    it("uploads once with the API key, through the SDK's /api/v0/add, and reads back through the gateway", async () => {
      const server = await standIn();
      const store = lighthouse(server);
      const { cid } = await store.put(SNAPSHOT);
      await store.put(SNAPSHOT); // a resumed store step: nothing is uploaded again
      expect(server.uploads).to.deep.equal([{ authorization: "Bearer test-key", outcome: "stored" }]);
      expect(server.writes.get(cid)).to.equal(1);
      expect(server.blobs.get(cid)).to.deep.equal(SNAPSHOT);
      expect(await store.get(cid)).to.deep.equal(SNAPSHOT);
    });

    it("retries HTTP 500 and stores once", async () => {
      const server = await standIn({ uploadFailures: 2 });
      const { cid } = await lighthouse(server).put(SNAPSHOT);
      expect(server.uploads.map(({ outcome }) => outcome)).to.deep.equal(["failed", "failed", "stored"]);
      expect(server.writes.get(cid)).to.equal(1);
    });

    it("gives up on a hung upload at the timeout and uploads again", async () => {
      const server = await standIn({ stalledUploads: 1 });
      const { cid } = await lighthouse(server, { timeoutMs: 200 }).put(SNAPSHOT);
      expect(server.uploads.map(({ outcome }) => outcome)).to.deep.equal(["stalled", "stored"]);
      expect(server.writes.get(cid)).to.equal(1);
    });

    it("after a timed-out upload that landed, finds it on the gateway instead of writing it twice", async () => {
      const server = await standIn({ slowUploads: 1, slowMs: 10_000 });
      const { cid } = await lighthouse(server, { timeoutMs: 200 }).put(SNAPSHOT);
      expect(server.uploads.map(({ outcome }) => outcome)).to.deep.equal(["slow"]);
      expect(server.writes.get(cid)).to.equal(1);
      expect(server.reads).to.deep.equal([{ method: "HEAD", cid, status: 200 }]);
    });

    it("retries an upload answered with something that is not Lighthouse's answer", async () => {
      const server = await standIn({ garbledUploads: 1 });
      await lighthouse(server).put(SNAPSHOT);
      expect(server.uploads.map(({ outcome }) => outcome)).to.deep.equal(["garbled", "stored"]);
      const always = await standIn({ garbledUploads: 9 });
      const error = await rejection(lighthouse(always, { retries: 1 }).put(BIG), StoreUnavailableError, "store_unavailable");
      expect(error.cause).to.be.instanceOf(StoreBadResponseError);
    });

    it("refuses an upload answered with another CID, without retrying", async () => {
      const server = await standIn({ wrongCid: true });
      const mismatch = await rejection(lighthouse(server).put(SNAPSHOT), StoreCidMismatchError, "store_cid_mismatch");
      expect(mismatch.cid).to.equal(await cidOf(SNAPSHOT));
      expect(mismatch.remoteCid).to.equal(await cidOf(new TextEncoder().encode(`not ${mismatch.cid}`)));
      expect(server.uploads).to.have.length(1);
    });

    it("reports a server that is down with a clear error after every retry", async () => {
      const server = await startLighthouseServer();
      await server.close();
      const store = lighthouse(server, { retries: 2 });
      const down = await rejection(store.put(SNAPSHOT), StoreUnavailableError, "store_unavailable");
      expect([down.attempts, down.status]).to.deep.equal([3, 503]);
      expect(down.message).to.equal(`lighthouse upload of ${await cidOf(SNAPSHOT)} to ${server.url} failed after 3 attempt(s): TypeError: fetch failed`);
      await rejection(store.get(await cidOf(SNAPSHOT)), StoreUnavailableError, "store_unavailable");
      await rejection(store.has(await cidOf(SNAPSHOT)), StoreUnavailableError, "store_unavailable");
    });

    it("retries a failing gateway read and refuses bytes that do not hash to the CID", async () => {
      const server = await standIn();
      const store = lighthouse(server);
      const { cid } = await store.put(SNAPSHOT);
      server.faults.gatewayFailures = 1;
      expect(await store.get(cid)).to.deep.equal(SNAPSHOT);
      server.faults.corruptReads = 1;
      const corrupt = await rejection(store.get(cid), SnapshotCorruptError, "snapshot_corrupt");
      expect(corrupt.actualCid).to.equal(await cidOf(SNAPSHOT.map((byte) => byte ^ 0xff)));
    });

    it("keeps two stores with different Lighthouse nodes apart (the SDK's URLs are process-wide)", async () => {
      const [one, two] = [await standIn(), await standIn()];
      const bytes = new TextEncoder().encode("second");
      const [a, b] = await Promise.all([lighthouse(one).put(SNAPSHOT), lighthouse(two).put(bytes)]);
      expect([...one.blobs.keys()]).to.deep.equal([a.cid]);
      expect([...two.blobs.keys()]).to.deep.equal([b.cid]);
    });

    it("refuses settings that cannot work, naming the setting", () => {
      const bad: [string, ConstructorParameters<typeof LighthouseStore>[0]][] = [
        ["apiKey", { apiKey: " " }],
        ["timeoutMs", { apiKey: "k", timeoutMs: 0 }],
        ["retries", { apiKey: "k", retries: -1 }],
        ["retries", { apiKey: "k", retries: 1.5 }],
        ["backoffMs", { apiKey: "k", backoffMs: -5 }],
        ["gatewayUrl", { apiKey: "k", gatewayUrl: "gateway" }],
        ["nodeUrl", { apiKey: "k", nodeUrl: "::" }],
      ];
      for (const [setting, parameters] of bad) {
        let thrown: unknown;
        try {
          new LighthouseStore(parameters);
        } catch (error) {
          thrown = error;
        }
        expect(thrown, setting).to.be.instanceOf(StoreConfigError);
        if (thrown instanceof StoreConfigError) {
          expect(thrown.code).to.equal("store_config_invalid");
          expect(thrown.setting).to.equal(setting);
        }
      }
    });
  });
});
