import { expect } from "chai";
import { keccak256, type Hex } from "viem";
import { createMetrics } from "../../relayer/src/api/metrics.js";
import { ChainRevertError, ChainUnavailableError } from "../../relayer/src/chain/errors.js";
import { confirmBatch, createBatchScheduler, sealBatch, storeBatch, submitBatch } from "../../relayer/src/pipeline/batches.js";
import { BatchConflictError, SnapshotStoreError } from "../../relayer/src/pipeline/errors.js";
import { loadBatch } from "../../relayer/src/repo/batches.js";
import type { Database } from "../../relayer/src/db/database.js";
import { decodeSnapshot, auditSnapshot } from "../../relayer/src/evidence/snapshot.js";
import { playLeafHash } from "../../relayer/src/evidence/merkle.js";
import { LocalCasStore } from "../../relayer/src/stores/local-cas.js";
import { batchRow, buildBatcherApp, createRig, RELAYER_KEY, storedPlaysPerTrack, type Faults } from "./batcher.helpers.js";
import { BACKENDS, deployChain, newListener, postPlays, signedItem, tempDir, type Chain } from "./core.helpers.js";
import { privateKeyToAccount } from "viem/accounts";

const NOW = 1_900_000_000;
const OPERATOR_KEY = "operator-key-0123456789";
const TRACKS = 3;

type Json = Record<string, any>;
const json = async (response: Response): Promise<Json> => (await response.json()) as Json;

for (const backend of BACKENDS) {
  describe(`relayer batcher (${backend.name})`, function () {
    this.timeout(300_000);
    let chain: Chain;
    let db: Database;
    let dispose: () => Promise<void>;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let store: LocalCasStore;
    let faults: Faults;
    let domain: { chainId: number; musicNFT: `0x${string}` };

    before(async () => {
      chain = await deployChain(TRACKS);
      ({ db, dispose } = await backend.open());
      dir = await tempDir();
      store = new LocalCasStore({ dir: dir.path });
      domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
    });
    beforeEach(() => {
      faults = { rpcDown: false, storeDown: false, storePuts: 0 };
    });
    after(async () => {
      await dispose();
      await dir.remove();
    });

    /** Posts `count` freshly signed plays, spread over listeners and tracks (inside the rate limits). */
    async function postFresh(app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, count: number): Promise<string[]> {
      const listeners = Array.from({ length: Math.ceil(count / 20) }, () => newListener());
      const items = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          signedItem(listeners[Math.floor(index / 20)]!, domain, { startedAt: BigInt(NOW - 600 - index), trackId: BigInt((index % TRACKS) + 1) }),
        ),
      );
      const ids: string[] = [];
      for (let start = 0; start < items.length; start += 1000) {
        const response = await postPlays(app, items.slice(start, start + 1000));
        expect(response.status).to.equal(202);
        const { results } = await json(response);
        for (const result of results) {
          expect(result.status, JSON.stringify(result)).to.equal("accepted");
          ids.push(result.id);
        }
      }
      return ids;
    }

    /** Every accepted play is on chain exactly once: per-track counts equal the database's, nothing is left over. */
    async function expectChainMatchesDatabase() {
      let total = 0n;
      for (const [trackId, count] of await storedPlaysPerTrack(db)) {
        expect(await chain.contracts.musicNFT.playCount(trackId), `track ${trackId}`).to.equal(count);
        total += count;
      }
      expect(await chain.contracts.musicNFT.creatorPlays(chain.creator.address)).to.equal(total);
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM plays p LEFT JOIN batches b ON b.id = p.batch_id WHERE b.status IS DISTINCT FROM 'committed'`,
      );
      expect(rows[0]?.n).to.equal("0");
      const { rows: ids } = await db.query<{ id: string }>(`SELECT id::text FROM batches b ORDER BY b.id`);
      expect(await chain.contracts.musicNFT.nextBatchId()).to.equal(BigInt(ids.length + 1));
    }

    const rig = (options: { milestonePlays?: bigint; batchMax?: number; receiptTimeoutMs?: number } = {}) => createRig({ chain, db, store, faults, ...options });

    it("full path: 1,000 signed plays posted, flushed, committed; counts, creator total, milestone and a proof verify on chain", async () => {
      const relayer = await rig({ milestonePlays: 100n });
      // The default key is the account the Protocol module made the relayer.
      expect(relayer.account.address).to.equal(chain.relayer.address);
      const app = buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY });
      const ids = await postFresh(app, 1000);

      expect((await app.request("/v1/admin/flush", { method: "POST" })).status).to.equal(401);
      const response = await app.request("/v1/admin/flush", { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
      expect(response.status).to.equal(200);
      const flushed = await json(response);
      expect(flushed.sealed).to.equal("1");
      expect(flushed.committed).to.deep.equal(["1"]);
      expect(flushed.milestones).to.equal(1);
      expect(flushed.batch).to.include({ id: "1", status: "committed", plays: 1000, tracks: TRACKS });
      expect(flushed.batch.cid).to.match(/^baf/);
      expect(flushed.batch.pieceCid).to.match(/^bafkzcib/);
      expect(flushed.batch.txHash).to.match(/^0x[0-9a-f]{64}$/);

      // commitPlays was mined in the recorded block, with the recorded root and CID.
      const receipt = await chain.connection.ethers.provider.getTransactionReceipt(flushed.batch.txHash);
      expect(receipt?.status).to.equal(1);
      expect(String(receipt?.blockNumber)).to.equal(flushed.batch.block);
      expect(await chain.contracts.musicNFT.batchRoot(1n)).to.equal(flushed.batch.root);
      for (let trackId = 1n; trackId <= TRACKS; trackId++) {
        const expected = BigInt(Math.floor(1000 / TRACKS) + (Number(trackId) <= 1000 % TRACKS ? 1 : 0));
        expect(await chain.contracts.musicNFT.playCount(trackId)).to.equal(expected);
      }
      expect(await chain.contracts.musicNFT.creatorPlays(chain.creator.address)).to.equal(1000n);
      await expectChainMatchesDatabase();

      // The snapshot is stored under its CID, is canonical, and audits clean.
      const snapshot = decodeSnapshot(await store.get(flushed.batch.cid));
      expect(snapshot.batchId).to.equal(1n);
      expect(snapshot.previousCid).to.equal(null);
      expect(auditSnapshot(snapshot)).to.deep.equal([]);

      // 1,000 plays crossed ten multiples of 100 for the creator: one update, with the batch's CID.
      const metrics = await chain.contracts.factory.creatorMetrics(chain.creator.address);
      expect(metrics.plays).to.equal(1000n);
      expect(metrics.snapshotCid).to.equal(flushed.batch.cid);

      // Proofs from the API verify on chain.
      for (const id of [ids[0], ids[499], ids[999]]) {
        const play = await json(await app.request(`/v1/plays/${id}`));
        expect(play).to.include({ status: "committed", batchId: "1" });
        expect(play.leaf).to.equal(
          playLeafHash({
            listener: play.play.listener,
            trackId: BigInt(play.play.trackId),
            startedAt: BigInt(play.play.startedAt),
            durationSeconds: play.play.durationSeconds,
            nonce: play.play.nonce,
            signature: play.play.signature,
          }),
        );
        // The arguments of verifyPlay come with the proof, read from the proven leaf: the stored play's own fields.
        expect(play.leafPlay).to.deep.equal({
          listener: play.play.listener,
          trackId: play.play.trackId,
          startedAt: play.play.startedAt,
          durationSeconds: play.play.durationSeconds,
          nonce: play.play.nonce,
        });
        expect(play.signatureHash).to.equal(keccak256(play.play.signature));
        const leafPlay = { ...play.leafPlay, trackId: BigInt(play.leafPlay.trackId), startedAt: BigInt(play.leafPlay.startedAt) };
        expect(await chain.contracts.musicNFT.verifyPlay(1n, leafPlay, play.signatureHash, play.proof)).to.equal(true);
        expect(await chain.contracts.musicNFT.verifyPlay(1n, leafPlay, play.signatureHash, play.proof.slice(1))).to.equal(false);
        // The leaf hash alone proves nothing: it is not a play's fields.
        expect(await chain.contracts.musicNFT.verifyPlay(1n, { ...leafPlay, nonce: play.leaf }, play.signatureHash, play.proof)).to.equal(false);
      }

      // Batch routes.
      const list = await json(await app.request("/v1/batches"));
      expect(list.batches.map((batch: Json) => batch.id)).to.deep.equal(["1"]);
      expect(list.nextCursor).to.equal(null);
      expect(await json(await app.request("/v1/batches/1"))).to.deep.equal(flushed.batch);
      expect((await app.request("/v1/batches/99")).status).to.equal(404);
      expect((await json(await app.request("/v1/batches/x"))).error.code).to.equal("invalid_request");

      // A flush with nothing pending seals nothing.
      const idle = await json(await app.request("/v1/admin/flush", { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } }));
      expect(idle).to.deep.include({ sealed: null, committed: [], milestones: 0, milestoneError: null, batch: null });

      const text = await (await app.request("/metrics")).text();
      for (const step of ["seal", "store", "submit", "confirm", "milestones"]) {
        expect(text).to.match(new RegExp(`relayer_batch_step_duration_seconds_count\\{step="${step}"\\} [1-9]`));
      }
    });

    it("resumes after a crash after seal: a new process stores, submits and commits the same batch", async () => {
      const first = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: first, now: NOW, operatorApiKey: OPERATOR_KEY }), 30);
      const batchId = await sealBatch(first.ctx);
      expect(batchId).to.equal(2n);
      const sealed = await loadBatch(db, 2n);
      expect(sealed).to.include({ status: "sealed", previousCid: (await batchRow(db, 1n)).cid });

      const restarted = await rig();
      const result = await restarted.batcher.runCycle();
      expect(result).to.deep.include({ sealed: undefined, committed: [2n], leased: true });
      expect(await chain.contracts.musicNFT.batchRoot(2n)).to.equal(sealed.root);
      await expectChainMatchesDatabase();
      // The snapshot links to the batch before it.
      const snapshot = decodeSnapshot(await store.get((await batchRow(db, 2n)).cid ?? ""));
      expect(snapshot.previousCid).to.equal((await batchRow(db, 1n)).cid);
    });

    it("resumes after a crash after store: the snapshot is not rewritten differently, the batch commits once", async () => {
      const first = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: first, now: NOW, operatorApiKey: OPERATOR_KEY }), 25);
      const batchId = await sealBatch(first.ctx);
      await storeBatch(first.ctx, batchId!);
      const { cid } = await batchRow(db, batchId!);

      const restarted = await rig();
      expect((await restarted.batcher.runCycle()).committed).to.deep.equal([batchId]);
      const row = await batchRow(db, batchId!);
      expect(row).to.include({ status: "committed", cid });
      // The restarted process did not store again: the stored step was recorded.
      expect(faults.storePuts).to.equal(1);
      await expectChainMatchesDatabase();
    });

    it("resumes after a crash after submit, before the receipt: waits for the recorded transaction, sends nothing new", async () => {
      const provider = chain.connection.provider;
      const first = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: first, now: NOW, operatorApiKey: OPERATOR_KEY }), 40);
      await provider.request({ method: "evm_setAutomine", params: [false] });
      try {
        const batchId = await sealBatch(first.ctx);
        await storeBatch(first.ctx, batchId!);
        await submitBatch(first.ctx, batchId!);
        const submitted = await batchRow(db, batchId!);
        expect(submitted.status).to.equal("submitted");
        expect(await chain.contracts.musicNFT.nextBatchId()).to.equal(batchId); // not mined yet

        await provider.request({ method: "evm_mine", params: [] });
        const nonceBefore = await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address);
        const restarted = await rig();
        await confirmBatch(restarted.ctx, batchId!);
        expect(await batchRow(db, batchId!)).to.include({ status: "committed", tx_hash: submitted.tx_hash, tx_nonce: submitted.tx_nonce });
        expect(await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address)).to.equal(nonceBefore);
      } finally {
        await provider.request({ method: "evm_setAutomine", params: [true] });
      }
      await expectChainMatchesDatabase();
    });

    it("resends a dropped transaction with its recorded nonce after a restart", async () => {
      const provider = chain.connection.provider;
      const first = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: first, now: NOW, operatorApiKey: OPERATOR_KEY }), 15);
      await provider.request({ method: "evm_setAutomine", params: [false] });
      let batchId: bigint | undefined;
      let submitted: Awaited<ReturnType<typeof batchRow>>;
      try {
        batchId = await sealBatch(first.ctx);
        await storeBatch(first.ctx, batchId!);
        await submitBatch(first.ctx, batchId!);
        submitted = await batchRow(db, batchId!);
        expect(await provider.request({ method: "hardhat_dropTransaction", params: [submitted.tx_hash] })).to.equal(true);
      } finally {
        await provider.request({ method: "evm_setAutomine", params: [true] });
      }
      const restarted = await rig();
      expect((await restarted.batcher.runCycle()).committed).to.deep.equal([batchId]);
      const committed = await batchRow(db, batchId!);
      expect(committed.status).to.equal("committed");
      expect(committed.tx_nonce).to.equal(submitted.tx_nonce);
      await expectChainMatchesDatabase();
    });

    it("outbids a transaction stuck in the mempool: same nonce, fees raised 12.5 %, committed once", async () => {
      const provider = chain.connection.provider;
      const impatient = await rig({ receiptTimeoutMs: 300 });
      await postFresh(buildBatcherApp({ chain, db, rig: impatient, now: NOW, operatorApiKey: OPERATOR_KEY }), 9);
      await provider.request({ method: "evm_setAutomine", params: [false] });
      let batchId: bigint | undefined;
      try {
        batchId = await sealBatch(impatient.ctx);
        await storeBatch(impatient.ctx, batchId!);
        await submitBatch(impatient.ctx, batchId!);
        const stuck = await batchRow(db, batchId!);
        const nonceBefore = await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address);
        const original = await chain.client.getTransaction({ hash: stuck.tx_hash as Hex });
        // Nothing is mined while confirmBatch waits: its receipt wait times out and it replaces the transaction.
        const confirming = confirmBatch(impatient.ctx, batchId!);
        let replaced = stuck;
        for (let polls = 0; replaced.tx_hash === stuck.tx_hash && polls < 200; polls++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          replaced = await batchRow(db, batchId!);
        }
        expect(replaced.tx_hash).to.not.equal(stuck.tx_hash);
        expect(replaced.tx_nonce).to.equal(stuck.tx_nonce);
        const [before, after] = await Promise.all([
          chain.client.getTransaction({ hash: stuck.tx_hash as Hex }).catch(() => undefined),
          chain.client.getTransaction({ hash: replaced.tx_hash as Hex }),
        ]);
        // The node replaced the stuck transaction in its mempool: only the outbidding one is left.
        expect(before, "the stuck transaction is still in the mempool").to.equal(undefined);
        expect(after.maxFeePerGas! * 1000n >= original.maxFeePerGas! * 1125n, "max fee raised 12.5 %").to.equal(true);
        expect(after.maxPriorityFeePerGas! * 1000n >= original.maxPriorityFeePerGas! * 1125n, "priority fee raised 12.5 %").to.equal(true);
        await provider.request({ method: "evm_mine", params: [] });
        await confirming;
        expect(await batchRow(db, batchId!)).to.include({ status: "committed", tx_hash: replaced.tx_hash, tx_nonce: stuck.tx_nonce });
        expect(await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address)).to.equal(nonceBefore + 1);
      } finally {
        await provider.request({ method: "evm_setAutomine", params: [true] });
      }
      expect(await chain.contracts.musicNFT.nextBatchId()).to.equal(batchId! + 1n);
      await expectChainMatchesDatabase();
    });

    it("recognises a batch the chain already has (same root) and marks it committed without resending", async () => {
      const first = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: first, now: NOW, operatorApiKey: OPERATOR_KEY }), 12);
      const batchId = await sealBatch(first.ctx);
      await storeBatch(first.ctx, batchId!);
      // The commit went out but the process died before recording it.
      const batch = await loadBatch(db, batchId!);
      const tx = await chain.contracts.musicNFT.connect(chain.relayer).commitPlays(batchId!, batch.root, batch.cid ?? "", batch.deltas);
      const mined = await tx.wait();

      const nonceBefore = await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address);
      const restarted = await rig();
      expect((await restarted.batcher.runCycle()).committed).to.deep.equal([batchId]);
      expect(await batchRow(db, batchId!)).to.include({ status: "committed", tx_hash: tx.hash, block_number: String(mined?.blockNumber) });
      expect(await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address)).to.equal(nonceBefore);
      await expectChainMatchesDatabase();
    });

    it("RPC down at submit: the cycle fails with chain_unavailable, the batch stays stored; RPC up: it commits, nothing lost", async () => {
      const first = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: first, now: NOW, operatorApiKey: OPERATOR_KEY }), 20);
      const batchId = await sealBatch(first.ctx);
      await storeBatch(first.ctx, batchId!);

      faults.rpcDown = true;
      try {
        await first.batcher.runCycle();
        expect.fail("the cycle succeeded with the RPC down");
      } catch (error) {
        expect(error).to.be.instanceOf(ChainUnavailableError);
        expect((error as ChainUnavailableError).code).to.equal("chain_unavailable");
      }
      const failed = await batchRow(db, batchId!);
      expect(failed.status).to.equal("stored");
      expect(failed.last_error).to.match(/failed after 4 attempt/);
      expect(await first.metrics.registry.getSingleMetricAsString("relayer_chain_errors_total")).to.match(/kind="rpc"\} [1-9]/);

      faults.rpcDown = false;
      expect((await first.batcher.runCycle()).committed).to.deep.equal([batchId]);
      expect((await batchRow(db, batchId!)).last_error).to.equal(null);
      await expectChainMatchesDatabase();
    });

    it("an RPC outage shorter than the retries is ridden out inside one cycle", async () => {
      const relayer = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY }), 10);
      faults.rpcDown = true;
      setTimeout(() => (faults.rpcDown = false), 30);
      const result = await relayer.batcher.runCycle();
      expect(result.committed).to.have.length(1);
      await expectChainMatchesDatabase();
    });

    it("storage down: the batch stays sealed and the error is counted; storage up: it is stored and committed", async () => {
      const relayer = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY }), 18);
      faults.storeDown = true;
      let sealedId: bigint | undefined;
      try {
        await relayer.batcher.runCycle();
        expect.fail("the cycle succeeded with the store down");
      } catch (error) {
        expect(error).to.be.instanceOf(SnapshotStoreError);
        expect((error as SnapshotStoreError).code).to.equal("storage_unavailable");
      }
      const { rows } = await db.query<{ id: string; status: string }>(`SELECT id::text, status FROM batches b ORDER BY b.id DESC LIMIT 1`);
      expect(rows[0]?.status).to.equal("sealed");
      sealedId = BigInt(rows[0]!.id);
      expect(await relayer.metrics.registry.getSingleMetricAsString("relayer_storage_errors_total")).to.match(/relayer_storage_errors_total 1$/m);

      faults.storeDown = false;
      expect((await relayer.batcher.runCycle()).committed).to.deep.equal([sealedId]);
      await expectChainMatchesDatabase();
    });

    it("the scheduler seals as soon as BATCH_MAX plays are pending, and stops after the current cycle", async () => {
      const relayer = await rig({ batchMax: 5 });
      const app = buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY });
      const before = await chain.contracts.musicNFT.nextBatchId();
      await postFresh(app, 12);
      const scheduler = createBatchScheduler({ batcher: relayer.batcher, db, intervalMs: 3_600_000, batchMax: 5, pollMs: 10 });
      scheduler.start();
      const deadline = Date.now() + 60_000;
      while ((await chain.contracts.musicNFT.nextBatchId()) < before + 2n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await scheduler.stop();
      // Two full batches of 5; the last 2 plays wait for the interval (an hour here) or a flush.
      expect(await chain.contracts.musicNFT.nextBatchId()).to.equal(before + 2n);
      const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM plays WHERE batch_id IS NULL`);
      expect(rows[0]?.n).to.equal("2");
      try {
        await relayer.batcher.runCycle();
        expect.fail("a stopped batcher ran a cycle");
      } catch (error) {
        expect((error as { code?: string }).code).to.equal("batcher_stopped");
      }
      await (await rig()).batcher.runCycle();
      await expectChainMatchesDatabase();
    });

    it("a milestone recorded at commit is sent by the next process exactly once", async () => {
      const first = await rig({ milestonePlays: 7n });
      await postFresh(buildBatcherApp({ chain, db, rig: first, now: NOW, operatorApiKey: OPERATOR_KEY }), 9);
      const batchId = await sealBatch(first.ctx);
      await storeBatch(first.ctx, batchId!);
      await submitBatch(first.ctx, batchId!);
      await confirmBatch(first.ctx, batchId!);
      const total = await chain.contracts.musicNFT.creatorPlays(chain.creator.address);
      const { rows } = await db.query<{ creator: string; plays: string; status: string }>(
        `SELECT creator, plays, status FROM creator_milestones WHERE batch_id = $1`,
        [batchId!.toString()],
      );
      // 9 more plays always cross a multiple of 7.
      expect(rows).to.deep.equal([{ creator: chain.creator.address.toLowerCase(), plays: total.toString(), status: "pending" }]);

      const nonceBefore = await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address);
      const restarted = await rig({ milestonePlays: 7n });
      expect((await restarted.batcher.runCycle()).milestones).to.equal(1);
      expect(await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address)).to.equal(nonceBefore + 1);
      const metrics = await chain.contracts.factory.creatorMetrics(chain.creator.address);
      expect(metrics.plays).to.equal(total);
      expect(metrics.snapshotCid).to.equal((await batchRow(db, batchId!)).cid);
      expect((await restarted.batcher.runCycle()).milestones).to.equal(0);
      await expectChainMatchesDatabase();
    });

    it("a stop during a cycle lets the current step finish and record, then a new process finishes the batch", async () => {
      const relayer = await rig();
      await postFresh(buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY }), 8);
      const { rows: before } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM batches`);
      const running = relayer.batcher.runCycle();
      // Stop once the cycle is inside a batch (sealed), as a SIGTERM mid-cycle would.
      for (;;) {
        const { rows: now } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM batches`);
        if (now[0]?.n !== before[0]?.n) break;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const stopped = relayer.batcher.stop();
      const result = await running;
      await stopped;
      expect(result.stopped).to.equal(true);
      expect(result.committed).to.deep.equal([]);
      const { rows } = await db.query<{ id: string; status: string }>(`SELECT id::text, status FROM batches b ORDER BY b.id DESC LIMIT 1`);
      expect(rows[0]?.status).to.be.oneOf(["sealed", "stored", "submitted"]);
      expect((await (await rig()).batcher.runCycle()).committed).to.deep.equal([BigInt(rows[0]!.id)]);
      await expectChainMatchesDatabase();
    });

    it("lists batches newest first, page by page through the cursor, past id 10 (numeric order, not text)", async () => {
      const relayer = await rig();
      const app = buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY });
      const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM batches`);
      const total = Number(rows[0]?.n);
      expect(total).to.be.greaterThan(10);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Json = await json(await app.request(`/v1/batches?limit=4${cursor === null ? "" : `&cursor=${cursor}`}`));
        expect(page.batches.length).to.be.at.most(4);
        seen.push(...page.batches.map((batch: Json) => batch.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).to.deep.equal(Array.from({ length: total }, (_, index) => String(total - index)));
      expect((await json(await app.request("/v1/batches?limit=0"))).error.code).to.equal("invalid_request");
    });
  });
}

describe("relayer batcher: refusals", function () {
  this.timeout(300_000);
  let chain: Chain;
  let db: Database;
  let dispose: () => Promise<void>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const faults: Faults = { rpcDown: false, storeDown: false, storePuts: 0 };

  before(async () => {
    chain = await deployChain(1);
    const backend = BACKENDS[0]!;
    ({ db, dispose } = await backend.open());
    dir = await tempDir();
  });
  after(async () => {
    await dispose();
    await dir.remove();
  });

  it("decodes reverts by error name: out-of-order batch, and a signer without RELAYER_ROLE", async () => {
    const relayer = await createRig({ chain, db, store: new LocalCasStore({ dir: dir.path }), faults });
    const args = { root: `0x${"11".repeat(32)}` as Hex, cid: "bafkreib", deltas: `0x${"00".repeat(7)}0100000001` as Hex };
    try {
      await relayer.ctx.writer.commitPlays({ batchId: 5n, ...args });
      expect.fail("an out-of-order commit was sent");
    } catch (error) {
      expect(error).to.be.instanceOf(ChainRevertError);
      expect(error).to.include({ code: "chain_reverted", errorName: "MusicNFTBatchOutOfOrder" });
      expect((error as ChainRevertError).args).to.deep.equal([5n, 1n]);
    }
    const stranger = await createRig({ chain, db, store: new LocalCasStore({ dir: dir.path }), faults, key: `0x${"42".repeat(32)}` });
    try {
      await stranger.ctx.writer.commitPlays({ batchId: 1n, ...args });
      expect.fail("a commit without the role was sent");
    } catch (error) {
      expect(error).to.include({ errorName: "AccessControlUnauthorizedAccount" });
      expect((error as ChainRevertError).args[0]).to.equal(privateKeyToAccount(`0x${"42".repeat(32)}`).address);
    }
    expect(RELAYER_KEY).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("a milestone update the chain refuses does not hold commits back, and goes out once it is accepted", async () => {
    const relayer = await createRig({ chain, db, store: new LocalCasStore({ dir: dir.path }), faults, milestonePlays: 2n });
    const app = buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY });
    const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
    const listener = newListener();
    const items = [];
    for (let index = 0; index < 3; index++) items.push(await signedItem(listener, domain, { startedAt: BigInt(NOW - 600 - index) }));
    await postPlays(app, items);
    const [admin] = await chain.connection.ethers.getSigners();
    const role = await chain.contracts.factory.RELAYER_ROLE();
    await (await chain.contracts.factory.connect(admin).revokeRole(role, chain.relayer.address)).wait();

    const refused = await relayer.batcher.runCycle();
    expect(refused.committed).to.deep.equal([1n]);
    expect(refused.milestoneError).to.match(/reverted with AccessControlUnauthorizedAccount/);
    expect(await chain.contracts.musicNFT.playCount(1n)).to.equal(3n);

    await (await chain.contracts.factory.connect(admin).grantRole(role, chain.relayer.address)).wait();
    const resumed = await relayer.batcher.runCycle();
    expect(resumed).to.deep.include({ milestones: 1, committed: [] });
    expect((await chain.contracts.factory.creatorMetrics(chain.creator.address)).plays).to.equal(3n);
  });

  it("refuses loudly when the chain holds the batch id under another root, and never overwrites it", async () => {
    const relayer = await createRig({ chain, db, store: new LocalCasStore({ dir: dir.path }), faults, metrics: createMetrics({ db }) });
    const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
    const app = buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY });
    const listener = newListener();
    await postPlays(app, [await signedItem(listener, domain, { startedAt: BigInt(NOW - 600) })]);
    const batchId = await sealBatch(relayer.ctx);
    await storeBatch(relayer.ctx, batchId!);
    const otherRoot = `0x${"ab".repeat(32)}`;
    await (await chain.contracts.musicNFT.connect(chain.relayer).commitPlays(batchId!, otherRoot, "bafkreiother", `0x${"00".repeat(7)}0100000001`)).wait();

    try {
      await relayer.batcher.runCycle();
      expect.fail("a conflicting batch was accepted");
    } catch (error) {
      expect(error).to.be.instanceOf(BatchConflictError);
      expect(error).to.include({ code: "batch_conflict", batchId: batchId!, chainRoot: otherRoot });
    }
    expect(await chain.contracts.musicNFT.batchRoot(batchId!)).to.equal(otherRoot);
    expect((await batchRow(db, batchId!)).status).to.equal("stored");
    const flushed = await app.request("/v1/admin/flush", { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
    expect(flushed.status).to.equal(500);
    expect((await json(flushed)).error.code).to.equal("batch_conflict");
  });
});
