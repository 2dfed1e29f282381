import { expect } from "chai";
import { createPostgresDatabase, tempDir, TEST_DATABASE_URL } from "./core.helpers.js";
import { flush, postPlays, signedPlaysOn, startLocalNode, startRelayer, status, type LocalNode, type RelayerProcess } from "./helpers/processes.js";

/**
 * Two relayer processes on one PostgreSQL: both ingest, the one holding the advisory-lock lease batches. The holder
 * is SIGKILLed in the middle of a batch; its session dies with it, the other process takes the lease over, finishes
 * the batch, and no play is lost or counted twice.
 */
describe("relayer scale-out (two real processes on one PostgreSQL, lease handover on SIGKILL)", function () {
  this.timeout(300_000);

  let node: LocalNode | undefined;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let dir: { path: string; remove(): Promise<void> } | undefined;
  const children: RelayerProcess[] = [];

  before(async function () {
    if (TEST_DATABASE_URL === undefined) {
      console.log("    (scale-out: TEST_DATABASE_URL unset, skipped; start one with scripts/ci-postgres.sh — CI sets it)");
      this.skip();
    }
    this.timeout(240_000);
    node = await startLocalNode({ tracks: 2 });
    database = await createPostgresDatabase(TEST_DATABASE_URL);
    dir = await tempDir("relayer-scaleout-");
  });

  after(async () => {
    for (const child of children) await child.kill();
    await node?.stop();
    await database?.drop();
    await dir?.remove();
  });

  const signedPlays = (trackId: bigint, count: number) => signedPlaysOn(node!, trackId, count);

  async function relayer(name: string, env: Record<string, string> = {}) {
    // Separate data directories: only the database is shared (snapshots go to each one's LocalCasStore).
    const started = await startRelayer({ node: node!, dataDir: `${dir!.path}/${name}`, env: { DATABASE_URL: database!.url, ...env }, name });
    children.push(started);
    return started;
  }

  it("both ingest, one batches; SIGKILL of the batcher mid-batch hands the lease over and every play counts once", async () => {
    const chain = node!;
    // A starts first and takes the lease; it halts after storing its first batch (test-only hook) to be killed there.
    const a = await relayer("relayer-a", { RELAYER_TEST_HALT_AFTER: "store" });
    expect(a.output()).to.contain("batch lease acquired");
    const b = await relayer("relayer-b");
    expect(b.output()).to.contain("batch lease held by another process");

    const accepted = new Map<bigint, number>([
      [1n, 0],
      [2n, 0],
    ]);
    const post = async (to: RelayerProcess, trackId: bigint, count: number) => {
      accepted.set(trackId, (accepted.get(trackId) ?? 0) + (await postPlays(to, await signedPlays(trackId, count))));
    };
    await post(a, 1n, 4);
    await post(b, 1n, 3);
    await post(b, 2n, 5);

    // B is not the batcher: its flush does nothing and leaves every play pending.
    const refused = await flush(b);
    expect(refused).to.deep.include({ sealed: null, committed: [], batch: null });
    expect((await status(b)).pendingPlays).to.equal(12);

    const halted = flush(a).catch(() => undefined);
    await a.waitFor(/RELAYER_TEST_HALTED step=store batch=1$/);
    // Mid-batch: sealed and stored, not sent. Both still ingest.
    await post(a, 2n, 2);
    await post(b, 1n, 2);
    await a.kill("SIGKILL");
    await halted;
    expect(await chain.nextBatchId()).to.equal(1n);

    // The server ends A's session when its socket closes; B's next cycle takes the lease (retry until it has).
    const deadline = Date.now() + 60_000;
    let committed: string[] = [];
    for (;;) {
      const result = await flush(b);
      committed = committed.concat(result.committed);
      if (committed.length > 0 && (await status(b)).pendingPlays === 0) break;
      if (Date.now() > deadline) throw new Error(`B never took the lease over:\n${b.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(b.output()).to.contain("batch lease acquired");
    // A's stored batch first (finished, not resealed), then everything that arrived after it.
    expect(committed).to.deep.equal(["1", "2"]);
    expect((await status(b)).batches).to.deep.equal({ open: 0, sealed: 0, stored: 0, submitted: 0, committed: 2 });
    expect(await chain.nextBatchId()).to.equal(3n);
    expect(await chain.playCount(1n)).to.equal(BigInt(accepted.get(1n) ?? 0));
    expect(await chain.playCount(2n)).to.equal(BigInt(accepted.get(2n) ?? 0));
    expect([...accepted.values()].reduce((sum, count) => sum + count, 0)).to.equal(16);

    // A restarted A no longer leads: B holds the lease until it goes.
    const again = await relayer("relayer-a2");
    expect(again.output()).to.contain("batch lease held by another process");
    await again.kill("SIGTERM");
    await b.kill("SIGTERM");
  });
});
