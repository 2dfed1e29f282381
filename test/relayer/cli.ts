import { expect } from "chai";
import { spawn } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { custom, getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount, type PrivateKeyAccount } from "viem/accounts";
import { runCli, type CliDependencies } from "../../relayer/src/cli.js";
import { PLAY_TYPES, playDomain } from "../../relayer/src/crypto/eip712.js";
import { lowerHex as lower } from "../../relayer/src/crypto/hex.js";
import { buildPlaysTree, rootOf } from "../../relayer/src/crypto/merkle.js";
import type { SignedPlay } from "../../relayer/src/crypto/plays.js";
import { createPlayVerifier } from "../../relayer/src/crypto/signatures.js";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { cidOf } from "../../relayer/src/evidence/cid.js";
import { computeDeltas, packDeltas } from "../../relayer/src/evidence/deltas.js";
import { buildSnapshot, decodeSnapshot, encodeSnapshot } from "../../relayer/src/evidence/snapshot.js";
import { LocalCasStore } from "../../relayer/src/stores/local-cas.js";
import { buildBatcherApp, createRig } from "./batcher.helpers.js";
import { createPostgresDatabase, deployChain, newListener, postPlays, randomNonce, signedItem, tempDir, TEST_DATABASE_URL, type Chain, writeChainDeployments } from "./core.helpers.js";

const NOW = 1_900_000_000;
const OPERATOR_KEY = "operator-key-0123456789";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

type Run = { code: number; out: string[]; err: string[] };

/** Runs the CLI in-process against the in-process chain, capturing what it prints. */
async function cli(chain: Chain, env: Record<string, string>, argv: string[], extra: Partial<CliDependencies> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli({
    argv,
    deps: { env, stdout: (line) => out.push(line), stderr: (line) => err.push(line), transport: custom(chain.connection.provider), ...extra },
  });
  return { code, out, err };
}

/** The relayer's environment over `dir`, with a deployments file for `chain` (and `more` contracts) written there. */
async function relayerEnv(chain: Chain, dir: string, more: Record<string, Address> = {}): Promise<Record<string, string>> {
  const deploymentsDir = await writeChainDeployments(chain, dir, more);
  return { PORT: "0", DATA_DIR: join(dir, "data"), DEPLOYMENTS_DIR: deploymentsDir, CHAIN_ID: String(chain.chainId), OPERATOR_API_KEY: OPERATOR_KEY };
}

async function signPlay(chain: Chain, signer: PrivateKeyAccount, fields: { listener?: Hex; trackId?: bigint; durationSeconds?: number }): Promise<SignedPlay> {
  const play = {
    listener: fields.listener ?? signer.address,
    trackId: fields.trackId ?? 1n,
    startedAt: BigInt(NOW - 600),
    durationSeconds: fields.durationSeconds ?? 42,
    nonce: randomNonce(),
  };
  const domain = playDomain({ chainId: chain.chainId, musicNFT: chain.musicNFT });
  const signature = await signer.signTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play });
  return { ...play, signature };
}

describe("relayer CLI", function () {
  this.timeout(300_000);

  describe("verify and status against committed batches", () => {
    let chain: Chain;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let env: Record<string, string>;
    let snapshotsDir: string;
    let store: LocalCasStore;
    const cids = new Map<bigint, string>();

    /** Commits `plays` as `batchId` straight through MusicNFT (as a faulty or dishonest relayer could). */
    async function commitByHand(batchId: bigint, plays: SignedPlay[], { root, keep = true, previousCid = cids.get(batchId - 1n) ?? null }: { root?: Hex; keep?: boolean; previousCid?: string | null } = {}) {
      const creatorOf = new Map(plays.map((play) => [play.trackId, getAddress(chain.creator.address)]));
      const snapshot = buildSnapshot({ chainId: BigInt(chain.chainId), musicNFT: chain.musicNFT, batchId, previousCid, plays, creatorOf });
      const bytes = encodeSnapshot(snapshot);
      const cid = keep ? (await store.put(bytes)).cid : await cidOf(bytes);
      const deltas = packDeltas(computeDeltas({ plays: snapshot.plays, creatorOf }).tracks);
      await (await chain.contracts.musicNFT.connect(chain.relayer).commitPlays(batchId, root ?? snapshot.root, cid, deltas)).wait();
      cids.set(batchId, cid);
      return { snapshot, cid };
    }

    before(async () => {
      chain = await deployChain(2);
      dir = await tempDir();
      env = await relayerEnv(chain, dir.path);
      snapshotsDir = join(env.DATA_DIR!, "snapshots");
      store = new LocalCasStore({ dir: snapshotsDir });
      // Batches 1 and 2 go the relayer's own way: HTTP ingestion, then the batcher, over the on-disk PGlite store.
      const db = await openDatabase({ dataDir: env.DATA_DIR });
      const rig = await createRig({ chain, db, store, faults: { rpcDown: false, storeDown: false, storePuts: 0 } });
      const app = buildBatcherApp({ chain, db, rig, now: NOW, operatorApiKey: OPERATOR_KEY });
      const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      for (const count of [5, 4]) {
        const listener = newListener();
        const items = await Promise.all(
          Array.from({ length: count }, (_, index) => signedItem(listener, domain, { startedAt: BigInt(NOW - 600 - index), trackId: BigInt((index % 2) + 1) })),
        );
        expect((await postPlays(app, items)).status).to.equal(202);
        const { committed } = await rig.batcher.runCycle();
        expect(committed).to.have.length(1);
      }
      // One more play stays pending, for status.
      expect((await postPlays(app, [await signedItem(newListener(), domain, { startedAt: BigInt(NOW - 700) })])).status).to.equal(202);
      const { rows } = await db.query<{ id: string; cid: string }>(`SELECT id::text, cid FROM batches b ORDER BY b.id`);
      for (const row of rows) cids.set(BigInt(row.id), row.cid);
      // PGlite allows one process (here: one handle) on a data directory; the CLI opens its own.
      await db.close();
    });
    after(async () => {
      await dir.remove();
    });

    it("verify prints OK and exits 0 for batches the relayer committed (first batch and a linked second one)", async () => {
      for (const batchId of ["1", "2"]) {
        const run = await cli(chain, env, ["verify", batchId]);
        expect(run, batchId).to.deep.equal({ code: 0, out: ["OK"], err: [] });
      }
      const json = await cli(chain, env, ["verify", "2", "--json"]);
      expect(JSON.parse(json.out[0]!)).to.deep.equal({ batchId: "2", cid: cids.get(2n), plays: 4, engagement: 0, ok: true, differences: [] });
    });

    it("status prints batches per status, pending plays, the last committed batch and the chain's nextBatchId", async () => {
      const run = await cli(chain, env, ["status"]);
      expect(run.code).to.equal(0);
      expect(run.out[0]).to.equal("batches: open 0, sealed 0, stored 0, submitted 0, committed 2");
      expect(run.out[1]).to.equal("pending plays: 1");
      expect(run.out[2]).to.match(new RegExp(`^last committed batch: 2 \\(4 plays, cid ${cids.get(2n)}, tx 0x[0-9a-f]{64}, block \\d+, at \\d{4}-`));
      expect(run.out[3]).to.equal("chain nextBatchId: 3");
    });

    it("tampered snapshot bytes on disk: the CID, the roots and the altered play's signature are each reported, exit 1", async () => {
      const cid = cids.get(2n)!;
      const copy = join(dir.path, "tampered");
      await cp(snapshotsDir, copy, { recursive: true });
      const original = await readFile(join(copy, cid), "utf8");
      // Same length, still canonical: a play made to look one second longer.
      const text = original.replace('"durationSeconds":42', '"durationSeconds":43');
      expect(text).to.not.equal(original);
      await writeFile(join(copy, cid), text);

      const bytes = new TextEncoder().encode(text);
      const tampered = decodeSnapshot(bytes);
      const index = tampered.plays.findIndex((play) => play.durationSeconds === 43);
      const play = tampered.plays[index]!;
      const verifier = createPlayVerifier({ chainId: chain.chainId, musicNFT: chain.musicNFT });
      const signer = verifier.recover(verifier.digest(play), play.signature);
      const originalRoot = lower(tampered.root);
      const newRoot = rootOf(buildPlaysTree(tampered.plays));

      const run = await cli(chain, env, ["verify", "2", "--snapshot-dir", copy]);
      expect(run.code).to.equal(1);
      expect(run.out).to.deep.equal([
        `cid: the snapshot bytes hash to ${await cidOf(bytes)}, the chain committed ${cid}`,
        `snapshot root: stated ${originalRoot}, plays give ${newRoot}`,
        `root: MusicNFT.batchRoot(2) is ${originalRoot}, the snapshot's plays give ${newRoot}`,
        `play ${index} (listener ${play.listener}, nonce ${play.nonce}): signature recovers to ${signer}, not the listener`,
      ]);
    });

    it("a wrong root on chain: the root line names both values, exit 1", async () => {
      const listener = newListener();
      const wrong = keccak256(toHex("not the root"));
      const { snapshot } = await commitByHand(3n, [await signPlay(chain, listener, {}), await signPlay(chain, listener, { trackId: 2n })], { root: wrong });
      const run = await cli(chain, env, ["verify", "3"]);
      expect(run).to.deep.equal({ code: 1, out: [`root: MusicNFT.batchRoot(3) is ${wrong}, the snapshot's plays give ${snapshot.root}`], err: [] });
    });

    it("a forged signature and a too-short play inside a snapshot: one line each, exit 1", async () => {
      const victim = newListener();
      const forger = newListener();
      const honest = newListener();
      const forged = await signPlay(chain, forger, { listener: victim.address });
      const short = await signPlay(chain, honest, { durationSeconds: 10 });
      const { snapshot } = await commitByHand(4n, [forged, short, await signPlay(chain, honest, { trackId: 2n })]);
      const at = (nonce: Hex) => snapshot.plays.findIndex((play) => play.nonce === lower(nonce));
      const run = await cli(chain, env, ["verify", "4"]);
      expect(run.code).to.equal(1);
      expect(run.out).to.have.members([
        `play ${at(forged.nonce)} (listener ${lower(victim.address)}, nonce ${forged.nonce}): signature recovers to ${lower(forger.address)}, not the listener`,
        `play ${at(short.nonce)} (listener ${lower(honest.address)}, nonce ${short.nonce}): durationSeconds 10 is below 20`,
      ]);
      expect(run.out).to.have.length(2);
    });

    it("a missing snapshot: the CID and where it was looked for, exit 1", async () => {
      const { cid } = await commitByHand(5n, [await signPlay(chain, newListener(), {})], { keep: false });
      const run = await cli(chain, env, ["verify", "5"]);
      expect(run).to.deep.equal({ code: 1, out: [`snapshot: ${cid} not found in ${snapshotsDir}`], err: [] });
    });

    it("a snapshot that breaks the previous-CID link, and a batch the chain never committed", async () => {
      // Batch 6's snapshot claims to follow batch 4 instead of batch 5.
      await commitByHand(6n, [await signPlay(chain, newListener(), {})], { previousCid: cids.get(4n)! });
      const run = await cli(chain, env, ["verify", "6"]);
      expect(run.code).to.equal(1);
      expect(run.out).to.have.length(1);
      expect(run.out[0]).to.match(new RegExp(`^previousCid: the snapshot links to ${cids.get(4n)}, batch 5 committed ${cids.get(5n)}$`));

      const missing = await cli(chain, env, ["verify", "99"]);
      expect(missing).to.deep.equal({
        code: 1,
        out: [`chain: batch 99 has no PlaysCommitted event on MusicNFT ${chain.musicNFT} (not committed)`],
        err: [],
      });
    });

    it("deltas that do not match the plays: each track's committed and recomputed counts, and the play total", async () => {
      const listener = newListener();
      const plays = [await signPlay(chain, listener, {}), await signPlay(chain, listener, { trackId: 2n })];
      const creatorOf = new Map(plays.map((play) => [play.trackId, getAddress(chain.creator.address)]));
      const snapshot = buildSnapshot({ chainId: BigInt(chain.chainId), musicNFT: chain.musicNFT, batchId: 7n, previousCid: cids.get(6n)!, plays, creatorOf });
      const { cid } = await store.put(encodeSnapshot(snapshot));
      // Track 1 credited three plays instead of one.
      const inflated = packDeltas([
        { trackId: 1n, creator: getAddress(chain.creator.address), plays: 3n },
        { trackId: 2n, creator: getAddress(chain.creator.address), plays: 1n },
      ]);
      await (await chain.contracts.musicNFT.connect(chain.relayer).commitPlays(7n, snapshot.root, cid, inflated)).wait();
      cids.set(7n, cid);
      const run = await cli(chain, env, ["verify", "7"]);
      expect(run).to.deep.equal({
        code: 1,
        out: ["plays: the chain committed 4 plays, the snapshot has 2", "deltas: track 1: the chain committed 3, the plays give 1"],
        err: [],
      });
    });

    it("a snapshot play on a track MusicNFT never minted is named", async () => {
      const play = await signPlay(chain, newListener(), { trackId: 99n });
      const creator = getAddress(chain.creator.address);
      const snapshot = buildSnapshot({ chainId: BigInt(chain.chainId), musicNFT: chain.musicNFT, batchId: 8n, previousCid: cids.get(7n)!, plays: [play], creatorOf: new Map([[99n, creator]]) });
      const { cid } = await store.put(encodeSnapshot(snapshot));
      // The chain only accepts minted tracks in the deltas, so the commit credits track 1 while the snapshot says 99.
      await (await chain.contracts.musicNFT.connect(chain.relayer).commitPlays(8n, snapshot.root, cid, packDeltas([{ trackId: 1n, creator, plays: 1n }]))).wait();
      cids.set(8n, cid);
      expect(await cli(chain, env, ["verify", "8"])).to.deep.equal({ code: 1, out: ["deltas: track 99 is not minted on MusicNFT"], err: [] });
    });

    it("a snapshot in a non-canonical encoding is reported as such (besides its CID)", async () => {
      const cid = cids.get(1n)!;
      const copy = join(dir.path, "pretty");
      await cp(snapshotsDir, copy, { recursive: true });
      const pretty = new TextEncoder().encode(JSON.stringify(JSON.parse(await readFile(join(copy, cid), "utf8")), null, 2));
      await writeFile(join(copy, cid), pretty);
      const run = await cli(chain, env, ["verify", "1", "--snapshot-dir", copy]);
      expect(run).to.deep.equal({
        code: 1,
        out: [
          `cid: the snapshot bytes hash to ${await cidOf(pretty)}, the chain committed ${cid}`,
          "snapshot: snapshot bytes are not the canonical encoding of their content",
        ],
        err: [],
      });
    });

    it("reads snapshots from an IPFS gateway (--gateway), as it does for LighthouseStore", async () => {
      const requested: string[] = [];
      const gateway = createServer((request, response) => {
        requested.push(request.url ?? "");
        const cid = (request.url ?? "").replace(/^\/ipfs\//, "");
        readFile(join(snapshotsDir, cid)).then(
          (bytes) => response.end(bytes),
          () => response.writeHead(404).end("not found"),
        );
      });
      await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
      try {
        const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
        expect(await cli(chain, env, ["verify", "2", "--gateway", url])).to.deep.equal({ code: 0, out: ["OK"], err: [] });
        expect(requested).to.deep.equal([`/ipfs/${cids.get(2n)}`]);
        expect((await cli(chain, env, ["verify", "5", "--gateway", url])).out).to.deep.equal([`snapshot: ${cids.get(5n)} not found in ${url}`]);
      } finally {
        await new Promise((resolve) => gateway.close(resolve));
      }
    });

    it("usage errors exit 2 and say what is wrong", async () => {
      expect(await cli(chain, env, ["verify", "x"])).to.deep.equal({
        code: 2,
        out: [],
        err: ['error: cli_usage: batchId must be a positive integer, got "x"', "run with --help for usage"],
      });
      expect((await cli(chain, env, [])).code).to.equal(2);
      expect((await cli(chain, env, ["launch"])).err[0]).to.equal('error: cli_usage: unknown command "launch"');
      expect((await cli(chain, env, ["status", "--bogus"])).code).to.equal(2);
      expect(await cli(chain, env, ["distribute", "--creator", "0x12"])).to.deep.equal({
        code: 2,
        out: [],
        err: ['error: cli_usage: --creator must be an address, got "0x12"', "run with --help for usage"],
      });
      expect((await cli(chain, env, ["distribute", "now"])).code).to.equal(2);
    });

    it("a real subprocess: `tsx relayer/src/cli.ts status` reads the database and reports an unreachable chain", async () => {
      const run = await subprocess(["--import", "tsx", "relayer/src/cli.ts", "status"], { ...env, RPC_URL: "http://127.0.0.1:9" });
      expect(run.code, run.stderr).to.equal(0);
      const lines = run.stdout.trim().split("\n");
      expect(lines[0]).to.equal("batches: open 0, sealed 0, stored 0, submitted 0, committed 2");
      expect(lines[1]).to.equal("pending plays: 1");
      expect(lines[3]).to.match(/^chain nextBatchId: unavailable \(chain read failed \(nextBatchId\)/);
      expect(lines.at(-1)).to.match(/^roles: unavailable \(HTTP request failed\.\)$/);
    });
  });

  describe("status: who holds which role on-chain", () => {
    const MNEMONIC = "test test test test test test test test test test test junk";
    const account = (index: number) => mnemonicToAccount(MNEMONIC, { addressIndex: index });
    const key = (index: number): Hex => toHex(account(index).getHdKey().privateKey!);
    const [deployer, relayer, committer, reporter, settler, verifier, admin, rotated] = [0, 1, 3, 4, 5, 6, 8, 7].map((index) => account(index).address) as Address[];
    let chain: Chain;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let env: Record<string, string>;
    let contracts: Record<string, Address>;

    before(async () => {
      // One account per job and governance handed over; then the admin rotates the settler from #5 to #7.
      chain = await deployChain(0, { BeatStreamProtocol: { committer, reporter, settler, verifier, admin } });
      const vault = chain.contracts.vault;
      const role = await vault.RELAYER_ROLE();
      const governance = await chain.connection.ethers.getSigner(admin!);
      await (await vault.connect(governance).grantRole(role, rotated!)).wait();
      await (await vault.connect(governance).revokeRole(role, settler!)).wait();
      dir = await tempDir();
      const address = async (contract: { getAddress(): Promise<string> }) => getAddress(await contract.getAddress());
      contracts = {
        RevenueDistributor: await address(chain.contracts.distributor),
        MusicDEX: await address(chain.contracts.dex),
        BeatStreamVault: await address(vault),
      };
      env = {
        ...(await relayerEnv(chain, dir.path, contracts)),
        COMMITTER_PRIVATE_KEY: key(3),
        REPORTER_PRIVATE_KEY: key(4),
        // The settler's key as it was before the rotation: the status shows it no longer holds the role.
        SETTLER_PRIVATE_KEY: key(5),
      };
    });
    after(async () => {
      await dir.remove();
    });

    it("prints each job's configured address and whether it holds its role, then every role's members from the events", async () => {
      const run = await cli(chain, env, ["status"]);
      expect(run.code, run.err.join("\n")).to.equal(0);
      const nft = chain.musicNFT;
      const factory = getAddress(await chain.contracts.factory.getAddress());
      const { RevenueDistributor: distributor, MusicDEX: dex, BeatStreamVault: vault } = contracts;
      // The vault's holder distributions come next: nobody set a holder share on this chain.
      expect(run.out[4]).to.match(/^holder distributions: period \d+ \(7862400 s each\); rows recorded 0, submitted 0, distributed 0, skipped 0$/);
      expect(run.out.slice(5)).to.deep.equal([
        `key committer: ${committer} holds MusicNFT RELAYER_ROLE (commitPlays)`,
        `key reporter: ${reporter} holds CreatorCoinFactory RELAYER_ROLE (updateCreatorMetrics)`,
        `key settler: ${settler} does NOT hold BeatStreamVault RELAYER_ROLE (settle)`,
        `role MusicNFT.DEFAULT_ADMIN_ROLE (${nft}): ${admin}`,
        `role MusicNFT.RELAYER_ROLE (${nft}): ${committer}`,
        `role RevenueDistributor.DEFAULT_ADMIN_ROLE (${distributor}): ${admin}`,
        `role RevenueDistributor.REGISTRAR_ROLE (${distributor}): ${factory}`,
        `role MusicDEX.DEFAULT_ADMIN_ROLE (${dex}): ${admin}`,
        `role MusicDEX.MARKET_OPENER_ROLE (${dex}): ${factory}`,
        `role MusicDEX.PAUSER_ROLE (${dex}): ${admin}`,
        `role CreatorCoinFactory.DEFAULT_ADMIN_ROLE (${factory}): ${admin}`,
        `role CreatorCoinFactory.RELAYER_ROLE (${factory}): ${reporter}`,
        `role CreatorCoinFactory.VERIFIER_ROLE (${factory}): ${verifier}`,
        `role BeatStreamVault.DEFAULT_ADMIN_ROLE (${vault}): ${admin}`,
        `role BeatStreamVault.PAUSER_ROLE (${vault}): ${admin}`,
        `role BeatStreamVault.RELAYER_ROLE (${vault}): ${rotated}`,
      ]);
      // Neither the deployer nor the default relayer key holds anything.
      expect(run.out.join("\n")).to.not.include(deployer!).and.not.include(relayer!);
    });

    it("--json carries the same facts; an unset job key falls back to RELAYER_PRIVATE_KEY", async () => {
      const { SETTLER_PRIVATE_KEY: _, ...rest } = env;
      const run = await cli(chain, { ...rest, RELAYER_PRIVATE_KEY: key(7) }, ["status", "--json"]);
      expect(run.code, run.err.join("\n")).to.equal(0);
      const { roles } = JSON.parse(run.out[0]!);
      expect(roles.jobs).to.deep.equal([
        { job: "committer", account: committer, contract: "MusicNFT", role: "RELAYER_ROLE", holds: true },
        { job: "reporter", account: reporter, contract: "CreatorCoinFactory", role: "RELAYER_ROLE", holds: true },
        { job: "settler", account: rotated, contract: "BeatStreamVault", role: "RELAYER_ROLE", holds: true },
      ]);
      expect(roles.contracts.map((entry: { contract: string }) => entry.contract)).to.deep.equal(["MusicNFT", "RevenueDistributor", "MusicDEX", "CreatorCoinFactory", "BeatStreamVault"]);
      expect(roles.contracts[4]).to.deep.equal({
        contract: "BeatStreamVault",
        address: contracts.BeatStreamVault,
        roles: { DEFAULT_ADMIN_ROLE: [admin], PAUSER_ROLE: [admin], RELAYER_ROLE: [rotated] },
      });
    });

    it("a deployments file without the vault: the settler's line says so, and the roles of the contracts it names are listed", async () => {
      const only = await tempDir();
      try {
        const run = await cli(chain, { ...env, ...(await relayerEnv(chain, only.path)) }, ["status", "--json"]);
        const { roles } = JSON.parse(run.out[0]!);
        expect(roles.jobs[2]).to.deep.equal({ job: "settler", account: settler, contract: "BeatStreamVault", role: "RELAYER_ROLE" });
        expect(roles.contracts.map((entry: { contract: string }) => entry.contract)).to.deep.equal(["MusicNFT", "CreatorCoinFactory"]);
        const text = await cli(chain, { ...env, ...(await relayerEnv(chain, only.path)) }, ["status"]);
        expect(text.out[6]).to.equal(`key settler: ${settler} (no BeatStreamVault in the deployments file)`);
      } finally {
        await only.remove();
      }
    });
  });

  describe("status on PostgreSQL (DATABASE_URL)", () => {
    it("reads the shared database while the relayer holding it stays open", async function () {
      if (TEST_DATABASE_URL === undefined) {
        console.log("      (TEST_DATABASE_URL unset: status on PostgreSQL skipped)");
        this.skip();
      }
      const chain = await deployChain(1);
      const dir = await tempDir();
      const database = await createPostgresDatabase(TEST_DATABASE_URL);
      const db = await openDatabase({ databaseUrl: database.url });
      try {
        const env = { ...(await relayerEnv(chain, dir.path)), DATABASE_URL: database.url };
        const rig = await createRig({ chain, db, store: new LocalCasStore({ dir: join(dir.path, "snapshots") }), faults: { rpcDown: false, storeDown: false, storePuts: 0 } });
        const app = buildBatcherApp({ chain, db, rig, now: NOW, operatorApiKey: OPERATOR_KEY });
        const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
        const listener = newListener();
        expect((await postPlays(app, [await signedItem(listener, domain, { startedAt: BigInt(NOW - 600) })])).status).to.equal(202);
        await rig.batcher.runCycle();
        expect((await postPlays(app, [await signedItem(listener, domain, { startedAt: BigInt(NOW - 700) })])).status).to.equal(202);
        const run = await cli(chain, env, ["status", "--json"]);
        expect(run.code, run.err.join("\n")).to.equal(0);
        const status = JSON.parse(run.out[0]!);
        expect(status).to.deep.include({ batches: { open: 0, sealed: 0, stored: 0, submitted: 0, committed: 1 }, pendingPlays: 1, chain: { nextBatchId: "2" } });
        expect(status.lastCommitted).to.include({ id: "1", status: "committed", plays: 1 });
      } finally {
        await db.close();
        await database.drop();
        await dir.remove();
      }
    });
  });

  describe("start and flush over a real socket", () => {
    it("start serves until stopped; flush posts to it with the operator key and prints the committed batch", async () => {
      const chain = await deployChain(1);
      const dir = await tempDir();
      try {
        const env = await relayerEnv(chain, dir.path);
        let flushed: Run | undefined;
        let refused: Run | undefined;
        const started = await cli(chain, env, ["start"], {
          async waitForStop(relayer) {
            const listener = newListener();
            const item = await signedItem(listener, { chainId: chain.chainId, musicNFT: chain.musicNFT }, { startedAt: BigInt(Math.floor(Date.now() / 1000) - 300) });
            const posted = await fetch(`${relayer.url}/v1/plays`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ plays: [item] }) });
            expect(posted.status).to.equal(202);
            refused = await cli(chain, { ...env, OPERATOR_API_KEY: "not-the-operator-key" }, ["flush", "--url", relayer.url]);
            flushed = await cli(chain, env, ["flush", "--url", relayer.url, "--json"]);
            return "test done";
          },
        });
        expect(started.code, started.err.join("\n")).to.equal(0);
        expect(started.out[0]).to.match(/^relayer listening on http:\/\/127\.0\.0\.1:\d+ /);
        expect(started.out.at(-1)).to.equal("test done: finishing in-flight requests, then closing the database");
        expect(refused?.code).to.equal(1);
        expect(refused?.err[0]).to.match(/^flush failed \(HTTP 401\): \{"code":"unauthorized"/);
        expect(flushed?.code).to.equal(0);
        const body = JSON.parse(flushed!.out[0]!);
        expect(body.batch).to.include({ id: "1", status: "committed", plays: 1 });
        expect(await chain.contracts.musicNFT.playCount(1n)).to.equal(1n);
        // The relayer's own snapshot of that batch verifies.
        expect(await cli(chain, env, ["verify", "1"])).to.deep.equal({ code: 0, out: ["OK"], err: [] });
      } finally {
        await dir.remove();
      }
    });

    it("the bin launcher prints the usage (real subprocess through relayer/bin)", async () => {
      const run = await subprocess(["relayer/bin/beatstream-relayer.mjs", "--help"], {});
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^usage: beatstream-relayer <command>/);
      expect(run.stdout).to.include("verify <batchId>");
      expect(run.stdout).to.include("OPERATOR_API_KEY");
    });
  });
});

function subprocess(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
