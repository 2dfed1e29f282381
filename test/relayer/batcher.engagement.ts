import { expect } from "chai";
import { getAddress, keccak256, toHex, type Address } from "viem";
import { verifyBatch } from "../../relayer/src/audit/verify-batch.js";
import { localSnapshotSource, type SnapshotSource } from "../../relayer/src/audit/snapshot-source.js";
import { canonicalJson, decodeSnapshot, encodeSnapshot, type SnapshotV2 } from "../../relayer/src/evidence/index.js";
import { confirmBatch, sealBatch, storeBatch, submitBatch } from "../../relayer/src/pipeline/batches.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { LocalCasStore } from "../../relayer/src/stores/local-cas.js";
import { batchRow, buildBatcherApp, createRig, type Faults } from "./batcher.helpers.js";
import { BACKENDS, deployChain, newListener, postPlays, signedItem, tempDir, type Chain } from "./core.helpers.js";
import { signEngagement, storeEngagement } from "./engagement.helpers.js";
import { fund, signVoucher, streamAddresses } from "./stream.helpers.js";

const NOW = 1_900_000_000;
const OPERATOR_KEY = "operator-key-0123456789";

for (const backend of BACKENDS) {
  describe(`relayer batcher: engagement evidence and follower/revenue milestones (${backend.name})`, function () {
    this.timeout(300_000);
    let chain: Chain;
    let db: Database;
    let dispose: () => Promise<void>;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let store: LocalCasStore;
    let faults: Faults;
    let domain: { chainId: number; musicNFT: Address };
    let creator: Address;
    let issued = 1_899_999_000n;

    before(async () => {
      chain = await deployChain(2);
      ({ db, dispose } = await backend.open());
      dir = await tempDir();
      store = new LocalCasStore({ dir: dir.path });
      domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      creator = getAddress(chain.creator.address);
    });
    beforeEach(() => {
      faults = { rpcDown: false, storeDown: false, storePuts: 0 };
    });
    after(async () => {
      await dispose();
      await dir.remove();
    });

    const rig = (options: { milestonePlays?: bigint; milestoneFollowers?: bigint; milestoneRevenue?: bigint } = {}) =>
      createRig({ chain, db, store, faults, milestonePlays: 1_000_000n, ...options });

    /** One signed play per call (a fresh listener), so a period has something MusicNFT will commit. */
    async function postPlay(relayer: Awaited<ReturnType<typeof rig>>, trackId = 1n) {
      const app = buildBatcherApp({ chain, db, rig: relayer, now: NOW, operatorApiKey: OPERATOR_KEY });
      const response = await postPlays(app, [await signedItem(newListener(), domain, { startedAt: BigInt(NOW - 600), trackId })]);
      expect(response.status).to.equal(202);
    }

    /** `count` fans follow the creator with signed Engagement messages, stored as ingestion stores them. */
    async function follows(count: number, effective = true): Promise<string[]> {
      const ids: string[] = [];
      for (let index = 0; index < count; index++) {
        ids.push(await storeEngagement(db, await signEngagement(newListener(), domain, { action: "follow", artist: creator, issuedAt: (issued += 1n) }), effective));
      }
      return ids;
    }

    async function batchOf(ids: string[]): Promise<(string | null)[]> {
      const { rows } = await db.query<{ batch_id: string | null }>(`SELECT batch_id::text FROM engagement_events WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids]);
      return rows.map((row) => row.batch_id);
    }

    async function snapshotOf(batchId: bigint): Promise<SnapshotV2> {
      const snapshot = decodeSnapshot(await store.get((await batchRow(db, batchId)).cid!));
      if (snapshot.version !== 2) throw new Error("expected a version-2 snapshot");
      return snapshot;
    }

    const verify = (batchId: bigint, source: SnapshotSource = localSnapshotSource({ dir: dir.path })) =>
      verifyBatch({ batchId, client: chain.client, musicNFT: { address: chain.musicNFT, startBlock: 0 }, source });

    it("a period without plays seals nothing: its engagement waits unbatched, then goes with the next batch; nothing lost", async () => {
      const relayer = await rig();
      const fan = newListener();
      const ids = [
        await storeEngagement(db, await signEngagement(fan, domain, { action: "like", trackId: 1n, issuedAt: (issued += 1n) })),
        await storeEngagement(db, await signEngagement(fan, domain, { action: "share", trackId: 2n, text: "x", issuedAt: (issued += 1n) })),
      ];
      // Liking what is already liked is stored (its nonce is used) but changes nothing: never in a batch.
      const unchanged = await storeEngagement(db, await signEngagement(fan, domain, { action: "like", trackId: 1n, issuedAt: (issued += 1n) }), false);
      const idle = await relayer.batcher.runCycle();
      expect(idle.sealed).to.equal(undefined);
      expect(await batchOf([...ids, unchanged])).to.deep.equal([null, null, null]);

      await postPlay(relayer);
      const cycle = await relayer.batcher.runCycle();
      expect(cycle.committed).to.have.length(1);
      const batchId = cycle.committed[0]!;
      expect(await batchOf(ids)).to.deep.equal([batchId.toString(), batchId.toString()]);
      expect(await batchOf([unchanged])).to.deep.equal([null]);
      const snapshot = await snapshotOf(batchId);
      expect(snapshot.engagement.events.map((event) => event.action)).to.deep.equal(["like", "share"]);
      expect(snapshot.engagement.tracks.map(({ trackId, likes, shares }) => ({ trackId, likes, x: shares.x }))).to.deep.equal([
        { trackId: 1n, likes: 1, x: 0 },
        { trackId: 2n, likes: 0, x: 1 },
      ]);
      const verified = await verify(batchId);
      expect(verified.differences).to.deep.equal([]);
      expect(verified.engagement).to.equal(2);
    });

    it("seal is bounded like plays (BATCH_MAX), oldest first; the rest waits for the next batch", async () => {
      const relayer = await createRig({ chain, db, store, faults, milestonePlays: 1_000_000n, batchMax: 2 });
      const ids = await follows(3);
      await postPlay(relayer);
      const first = await sealBatch(relayer.ctx);
      expect(await batchOf(ids)).to.deep.equal([first!.toString(), first!.toString(), null]);
      expect((await relayer.batcher.runCycle()).committed).to.deep.equal([first]);
      await postPlay(relayer);
      const second = (await relayer.batcher.runCycle()).committed[0]!;
      expect(await batchOf(ids)).to.deep.equal([first!.toString(), first!.toString(), second.toString()]);
    });

    it("verify recomputes the engagement deltas and re-checks every engagement signature, reporting what differs", async () => {
      const relayer = await rig();
      const fan = newListener();
      await storeEngagement(db, await signEngagement(fan, domain, { action: "save", trackId: 2n, issuedAt: (issued += 1n) }));
      await follows(1);
      await postPlay(relayer);
      const batchId = (await relayer.batcher.runCycle()).committed[0]!;
      expect((await verify(batchId)).differences).to.deep.equal([]);

      const snapshot = await snapshotOf(batchId);
      const [save] = snapshot.engagement.events.filter((event) => event.action === "save");
      const forger = newListener();
      const forged = await signEngagement(forger, domain, { ...save!, action: "save" });
      const tampered: SnapshotV2 = {
        ...snapshot,
        engagement: {
          ...snapshot.engagement,
          events: snapshot.engagement.events.map((event) => (event === save ? { ...event, signature: forged.signature.toLowerCase() as `0x${string}` } : event)),
          artists: snapshot.engagement.artists.map((entry) => ({ ...entry, followers: entry.followers + 5 })),
        },
      };
      const bytes = encodeSnapshot(tampered);
      const { differences } = await verify(batchId, { where: "tampered copy", fetch: async () => bytes });
      expect(differences.some((line) => line.startsWith("cid: the snapshot bytes hash to"))).to.equal(true);
      expect(differences).to.include(`snapshot engagement: artist ${creator.toLowerCase()} followers stated 6, events give 1`);
      expect(differences.some((line) => /^engagement \d+ \(save by fan .*\): signature recovers to .*, not the fan$/.test(line)), differences.join("\n")).to.equal(true);
      expect(canonicalJson({ ok: differences.length > 0 })).to.equal('{"ok":true}');
    });

    it("signed follows past FOLLOWER_MILESTONE: one updateCreatorMetrics with the real follower total; a crash between commit and send sends exactly one", async () => {
      const options = { milestoneFollowers: 10n };
      const first = await rig(options);
      const { rows: totals } = await db.query<{ followers: string }>(`SELECT followers::text FROM creator_totals WHERE creator = $1`, [creator.toLowerCase()]);
      const already = BigInt(totals[0]?.followers ?? "0");
      const needed = Number(10n - (already % 10n));
      await follows(needed);
      await postPlay(first);
      // The commit records the milestone; the process "crashes" before sending it.
      const batchId = await sealBatch(first.ctx);
      await storeBatch(first.ctx, batchId!);
      await submitBatch(first.ctx, batchId!);
      await confirmBatch(first.ctx, batchId!);
      const plays = await chain.contracts.musicNFT.creatorPlays(creator);
      const { rows } = await db.query<{ plays: string; followers: string; revenue: string; reasons: string; status: string }>(
        `SELECT plays, followers, revenue, reasons, status FROM creator_milestones WHERE batch_id = $1`,
        [batchId!.toString()],
      );
      const followers = already + BigInt(needed);
      expect(rows).to.deep.equal([{ plays: plays.toString(), followers: followers.toString(), revenue: "0", reasons: "followers", status: "pending" }]);

      const nonceBefore = await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address);
      const restarted = await rig(options);
      expect((await restarted.batcher.runCycle()).milestones).to.equal(1);
      expect((await restarted.batcher.runCycle()).milestones).to.equal(0);
      expect(await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address)).to.equal(nonceBefore + 1);
      const metrics = await chain.contracts.factory.creatorMetrics(creator);
      expect(metrics.followers).to.equal(followers);
      expect(metrics.plays).to.equal(plays);
      expect(metrics.snapshotCid).to.equal((await batchRow(db, batchId!)).cid);
      const events = await chain.contracts.factory.queryFilter(chain.contracts.factory.filters.CreatorMetricsUpdated(creator));
      expect(events.at(-1)?.args.followers).to.equal(followers);

      // One more follow does not cross again; an unfollow and a re-follow around the multiple do not fire it twice.
      await storeEngagement(db, await signEngagement(newListener(), domain, { action: "unfollow", artist: creator, issuedAt: (issued += 1n) }));
      await postPlay(restarted);
      expect((await restarted.batcher.runCycle()).milestones).to.equal(0);
      await follows(1);
      await postPlay(restarted);
      expect((await restarted.batcher.runCycle()).milestones).to.equal(0);
    });

    it("revenue settled by the vault plus coin deposits past REVENUE_MILESTONE, with followers at once: one update with every real total", async () => {
      const usdc = 1_000_000n; // one USDC
      const relayer = await rig({ milestoneFollowers: 10n, milestoneRevenue: 5n * usdc });
      // Streaming: a listener deposits 3 USDC, signs a voucher for all of it, and the relayer's settler settles it.
      const listener = newListener();
      await fund(chain, listener, 3n * usdc);
      const voucher = { artist: creator, sessionId: keccak256(toHex("revenue session")), cumulativeAmount: 3n * usdc, deadline: BigInt(NOW + 86_400) };
      const signature = await signVoucher(listener, chain, voucher);
      await (await chain.contracts.vault.connect(chain.relayer).settle([{ listener: listener.address, ...voucher }], signature)).wait();
      await postPlay(relayer);
      expect((await relayer.batcher.runCycle()).milestones).to.equal(0); // 3 USDC: below 5
      const { rows: after } = await db.query<{ revenue: string }>(`SELECT revenue::text FROM creator_totals WHERE creator = $1`, [creator.toLowerCase()]);
      expect(after[0]?.revenue).to.equal((3n * usdc).toString());

      // The coin: launched once the creator has plays (threshold lowered by the admin), then 2.5 USDC deposited to it
      // through the RevenueDistributor; with enough follows to cross the next follower multiple in the same batch.
      const [admin] = await chain.connection.ethers.getSigners();
      await (await chain.contracts.factory.connect(admin!).setLaunchThreshold(1n)).wait();
      await (await chain.contracts.factory.connect(chain.creator).launchCoin("Revenue Coin", "REV")).wait();
      const coin = await chain.contracts.factory.coinOf(creator);
      const { usdc: usdcAddress } = await streamAddresses(chain);
      expect(getAddress(await chain.contracts.usdc.getAddress())).to.equal(usdcAddress);
      await (await chain.contracts.usdc.mint(admin!.address, 5n * usdc)).wait();
      await (await chain.contracts.usdc.connect(admin!).approve(await chain.contracts.distributor.getAddress(), 5n * usdc)).wait();
      await (await chain.contracts.distributor.connect(admin!).deposit(coin, (5n * usdc) / 2n)).wait();
      const { rows: totals } = await db.query<{ followers: string }>(`SELECT followers::text FROM creator_totals WHERE creator = $1`, [creator.toLowerCase()]);
      const followersBefore = BigInt(totals[0]?.followers ?? "0");
      const { rows: peaks } = await db.query<{ followers_peak: string }>(`SELECT followers_peak::text FROM creator_totals WHERE creator = $1`, [creator.toLowerCase()]);
      const peak = BigInt(peaks[0]?.followers_peak ?? "0");
      const needed = Number((peak / 10n + 1n) * 10n - followersBefore);
      await follows(needed);
      await postPlay(relayer);

      const nonceBefore = await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address);
      const cycle = await relayer.batcher.runCycle();
      expect(cycle.milestones).to.equal(1);
      expect(await chain.connection.ethers.provider.getTransactionCount(chain.relayer.address)).to.equal(nonceBefore + 2); // commit + one report
      const { rows } = await db.query<{ reasons: string; revenue: string; followers: string }>(
        `SELECT reasons, revenue, followers FROM creator_milestones WHERE batch_id = $1`,
        [cycle.committed[0]!.toString()],
      );
      const revenue = 3n * usdc + (5n * usdc) / 2n;
      const followers = followersBefore + BigInt(needed);
      expect(rows).to.deep.equal([{ reasons: "followers,revenue", revenue: revenue.toString(), followers: followers.toString() }]);
      const metrics = await chain.contracts.factory.creatorMetrics(creator);
      expect(metrics.revenue).to.equal(revenue);
      expect(metrics.followers).to.equal(followers);
      expect(metrics.plays).to.equal(await chain.contracts.musicNFT.creatorPlays(creator));
    });

    it("the vault's holder distribution moves streaming revenue already counted as settled: counted once, not twice", async () => {
      const usdc = 1_000_000n;
      const relayer = await rig({ milestoneRevenue: 1_000_000n * usdc });
      const before = await creatorRevenue();
      // The creator (its coin launched by the test above) shares 10 % with holders; a 2 USDC settlement sets 0.2 aside.
      await (await chain.contracts.vault.connect(chain.creator).setHolderShare(1_000n)).wait();
      const listener = newListener();
      await fund(chain, listener, 2n * usdc);
      const voucher = { artist: creator, sessionId: keccak256(toHex("shared session")), cumulativeAmount: 2n * usdc, deadline: BigInt(NOW + 86_400) };
      await (await chain.contracts.vault.connect(chain.relayer).settle([{ listener: listener.address, ...voucher }], await signVoucher(listener, chain, voucher))).wait();
      // The next period: anyone distributes the 0.2 USDC into the coin through the distributor.
      await chain.connection.ethers.provider.send("evm_increaseTime", [Number(await chain.contracts.vault.DISTRIBUTION_PERIOD())]);
      const distributed = await (await chain.contracts.vault.distributeHolderRevenue(creator)).wait();
      const coin = await chain.contracts.factory.coinOf(creator);
      const deposits = distributed!.logs.filter((log) => getAddress(log.address) === getAddress(coin));
      expect(deposits).to.have.length(1); // the coin's RevenueDeposited, from the vault
      await postPlay(relayer);
      await relayer.batcher.runCycle();
      expect((await creatorRevenue()) - before).to.equal(2n * usdc);
    });

    async function creatorRevenue(): Promise<bigint> {
      const { rows } = await db.query<{ revenue: string }>(`SELECT revenue::text FROM creator_totals WHERE creator = $1`, [creator.toLowerCase()]);
      return BigInt(rows[0]?.revenue ?? "0");
    }
  });
}
