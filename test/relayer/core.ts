import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { expect } from "chai";
import { bytesToHex, hashTypedData, keccak256, recoverTypedDataAddress, type Address, type Hex } from "viem";
import { musicNFTReadAbi } from "../../relayer/src/chain/abis.js";
import { CONFIG_SETTINGS, configTable, loadConfig } from "../../relayer/src/config.js";
import { loadDeployments, writeDeployments } from "../../relayer/src/deployments.js";
import { ConfigError, DeploymentsError, VerifierPoolError } from "../../relayer/src/errors.js";
import { createTrackCatalog } from "../../relayer/src/plays/tracks.js";
import { PLAY_TYPES, playDomain, type Play } from "../../relayer/src/crypto/eip712.js";
import {
  createPlayVerifier,
  loadNativeAddons,
  loadNativeSecp256k1,
  signatureHash,
  type PlayToCheck as SignedPlay,
} from "../../relayer/src/crypto/signatures.js";
import { createVerifierPool } from "../../relayer/src/crypto/verify-pool.js";
import { deployChain, newListener, randomNonce, tempDir, type Chain } from "./core.helpers.js";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe("relayer core: play verification", function () {
  this.timeout(120_000);
  let chain: Chain;
  before(async () => {
    chain = await deployChain(1);
  });

  const plays = (listener: Address): Play[] => [
    { listener, trackId: 1n, startedAt: 1_732_060_800n, durationSeconds: 42, nonce: randomNonce() },
    { listener, trackId: (1n << 256n) - 1n, startedAt: (1n << 64n) - 1n, durationSeconds: 2 ** 32 - 1, nonce: randomNonce() },
    { listener, trackId: 0n, startedAt: 0n, durationSeconds: 0, nonce: `0x${"00".repeat(32)}` },
  ];

  it("loads the native secp256k1 and keccak bindings, not the pure-JS fallbacks", () => {
    const native = loadNativeSecp256k1();
    expect(native.ecdsaRecover).to.be.a("function");
    // The addons' N-API modules sit in the CommonJS cache as .node files; the pure-JS fallbacks never load one.
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.some((file) => file.includes("secp256k1") && file.endsWith(".node")), "no secp256k1 .node module loaded").to.equal(true);
    expect(loaded.some((file) => file.includes("keccak") && file.endsWith(".node")), "no keccak .node module loaded").to.equal(true);
    // Keccak-256, not SHA3-256: the empty input's published hash.
    expect(loadNativeAddons().keccak256(new Uint8Array()).toString("hex")).to.equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });

  it("checks on worker threads exactly as on this thread: validity in order, signature hashes, bad signatures refused", async () => {
    const domain = playDomain({ chainId: chain.chainId, musicNFT: chain.musicNFT });
    const signed: SignedPlay[] = [];
    for (let index = 0; index < 40; index++) {
      const listener = newListener();
      const play: Play = { listener: listener.address.toLowerCase() as Address, trackId: BigInt(index + 1), startedAt: 1_732_060_800n, durationSeconds: 42, nonce: randomNonce() };
      const signature = await listener.signTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play });
      // Every third play is tampered with after signing, every fifth carries a bad v.
      if (index % 3 === 0) signed.push({ play: { ...play, durationSeconds: 43 }, signature });
      else if (index % 5 === 0) signed.push({ play, signature: `0x${signature.slice(2, 130)}1d` });
      else signed.push({ play, signature });
    }
    const inline = await createPlayVerifier({ chainId: chain.chainId, musicNFT: chain.musicNFT }).check(signed);
    expect(inline.map((check) => check.valid)).to.deep.equal(signed.map((_, index) => index % 3 !== 0 && index % 5 !== 0));
    expect(inline.map((check) => check.signatureHash)).to.deep.equal(signed.map(({ signature }) => keccak256(signature)));
    const pool = createVerifierPool({ chainId: chain.chainId, musicNFT: chain.musicNFT, threads: 2, minChunk: 8 });
    try {
      expect(await pool.check(signed)).to.deep.equal(inline);
      // Concurrent checks of different sizes keep their own order.
      const [one, some, all] = await Promise.all([pool.check(signed.slice(7, 8)), pool.check(signed.slice(3, 20)), pool.check(signed)]);
      expect(one).to.deep.equal(inline.slice(7, 8));
      expect(some).to.deep.equal(inline.slice(3, 20));
      expect(all).to.deep.equal(inline);
      expect(await pool.check([])).to.deep.equal([]);
    } finally {
      await pool.close();
    }
    const afterClose = await pool.check(signed).then(() => undefined, (error: unknown) => error);
    expect(afterClose).to.be.instanceOf(VerifierPoolError);
  });

  it("computes MusicNFT's digest and recovers the signer like viem and MusicNFT.recoverPlaySigner", async () => {
    const verifier = createPlayVerifier({ chainId: chain.chainId, musicNFT: chain.musicNFT });
    const domain = playDomain({ chainId: chain.chainId, musicNFT: chain.musicNFT });
    for (let round = 0; round < 4; round++) {
      const listener = newListener();
      for (const play of plays(listener.address)) {
        const signature = await listener.signTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play });
        const digest = bytesToHex(verifier.digest(play));
        expect(digest).to.equal(hashTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play }));
        expect(digest).to.equal(await chain.contracts.musicNFT.hashPlay(play));
        const recovered = verifier.recover(verifier.digest(play), signature);
        expect(recovered).to.equal(
          (await recoverTypedDataAddress({ domain, types: PLAY_TYPES, primaryType: "Play", message: play, signature })).toLowerCase(),
        );
        expect(recovered).to.equal((await chain.contracts.musicNFT.recoverPlaySigner(play, signature)).toLowerCase());
        expect(verifier.verify(play, signature)).to.equal(true);
        expect(verifier.verify({ ...play, durationSeconds: (play.durationSeconds ^ 1) >>> 0 }, signature)).to.equal(false);
      }
    }
  });

  it("rejects what OpenZeppelin's ECDSA rejects: high s, bad v, wrong length, r = 0", async () => {
    const verifier = createPlayVerifier({ chainId: chain.chainId, musicNFT: chain.musicNFT });
    const domain = playDomain({ chainId: chain.chainId, musicNFT: chain.musicNFT });
    const listener = newListener();
    const [play] = plays(listener.address);
    const signature = await listener.signTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play });
    const r = signature.slice(2, 66);
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = parseInt(signature.slice(130), 16);
    // The malleable twin (n - s, other v) is a valid ECDSA signature that ecrecover accepts but OZ refuses.
    const twin: Hex = `0x${r}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
    const badV: Hex = `0x${signature.slice(2, 130)}1d`;
    const zeroV: Hex = `0x${signature.slice(2, 130)}00`;
    const zeroR: Hex = `0x${"00".repeat(32)}${signature.slice(66)}`;
    const short: Hex = `0x${signature.slice(2, 130)}`;
    const musicNFT = chain.contracts.musicNFT;
    await expect(musicNFT.recoverPlaySigner(play, twin)).to.be.revertedWithCustomError(musicNFT, "ECDSAInvalidSignatureS");
    await expect(musicNFT.recoverPlaySigner(play, badV)).to.be.revertedWithCustomError(musicNFT, "ECDSAInvalidSignature");
    await expect(musicNFT.recoverPlaySigner(play, zeroV)).to.be.revertedWithCustomError(musicNFT, "ECDSAInvalidSignature");
    await expect(musicNFT.recoverPlaySigner(play, zeroR)).to.be.revertedWithCustomError(musicNFT, "ECDSAInvalidSignature");
    await expect(musicNFT.recoverPlaySigner(play, short)).to.be.revertedWithCustomError(musicNFT, "ECDSAInvalidSignatureLength");
    const digest = verifier.digest(play);
    for (const bad of [twin, badV, zeroV, zeroR, short]) expect(verifier.recover(digest, bad), bad).to.equal(null);
    // viem would accept the twin: the relayer must be stricter than viem, exactly as strict as the chain.
    expect(await recoverTypedDataAddress({ domain, types: PLAY_TYPES, primaryType: "Play", message: play, signature: twin })).to.equal(
      listener.address,
    );
  });

  it("hashes the signature bytes for the Merkle leaf like MusicNFT.playLeaf expects", async () => {
    const listener = newListener();
    const domain = playDomain({ chainId: chain.chainId, musicNFT: chain.musicNFT });
    const [play] = plays(listener.address);
    const signature = await listener.signTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play });
    const { keccak256 } = await import("ethers");
    expect(signatureHash(signature)).to.equal(keccak256(signature));
  });

  it("reads MusicNFT through an ABI equal to the compiled artifact's", async () => {
    const artifact = JSON.parse(await readFile("artifacts/contracts/MusicNFT.sol/MusicNFT.json", "utf8"));
    for (const entry of musicNFTReadAbi) {
      const compiled = artifact.abi.find((item: { type: string; name?: string }) => item.type === "function" && item.name === entry.name);
      expect(compiled, entry.name).to.not.equal(undefined);
      expect({ ...compiled, outputs: compiled.outputs.map((o: { type: string }) => o.type) }).to.deep.include({
        name: entry.name,
        stateMutability: entry.stateMutability,
        outputs: entry.outputs.map((o) => o.type),
      });
      expect(compiled.inputs.map((i: { type: string }) => i.type)).to.deep.equal(entry.inputs.map((i) => i.type));
    }
  });
});

describe("relayer core: track catalog", () => {
  it("answers from cache, refreshes totalTracks on a miss, and throttles refreshes", async () => {
    let total = 2n;
    let reads = 0;
    let clock = 0;
    const catalog = createTrackCatalog({
      reader: {
        totalTracks: async () => {
          reads++;
          return total;
        },
        creatorOf: async (trackId) => (trackId <= total ? "0x00000000000000000000000000000000000000c0" : "0x0000000000000000000000000000000000000000"),
      },
      refreshIntervalMs: 1000,
      now: () => clock,
    });
    expect([...(await catalog.minted([1n, 2n, 3n, 0n]))]).to.deep.equal([1n, 2n]);
    expect(reads).to.equal(1);
    expect([...(await catalog.minted([1n, 2n]))]).to.deep.equal([1n, 2n]);
    expect(reads).to.equal(1, "no read when every id is known");
    total = 3n;
    expect([...(await catalog.minted([3n]))]).to.deep.equal([], "within the refresh interval the cache answers");
    expect(reads).to.equal(1);
    clock = 1000;
    expect([...(await catalog.minted([3n]))]).to.deep.equal([3n]);
    expect(reads).to.equal(2);
    expect(await catalog.creatorOf(3n)).to.equal("0x00000000000000000000000000000000000000c0");
    expect(await catalog.creatorOf(9n)).to.equal("0x0000000000000000000000000000000000000000");
  });
});

describe("relayer core: configuration", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({ env: {} });
    expect(config.PORT).to.equal(8787);
    expect(config.HOST).to.equal("127.0.0.1");
    expect(config.DATABASE_URL).to.equal(undefined);
    expect(config.DATA_DIR).to.equal(".data/relayer");
    expect(config.RPC_URL).to.equal("http://127.0.0.1:8545");
    expect(config.CHAIN_ID).to.equal(31337);
    expect(config.MIN_PLAY_SECONDS).to.equal(20);
    expect(config.TRUST_PROXY).to.equal(false);
    expect(config.OPERATOR_API_KEY).to.equal(undefined);
  });

  it("parses set values and treats an empty variable as unset", () => {
    const config = loadConfig({
      env: { PORT: "9000", DATABASE_URL: "postgres://u@127.0.0.1:5433/db", TRUST_PROXY: "true", OPERATOR_API_KEY: "", BATCH_MAX: "5" },
    });
    expect(config.PORT).to.equal(9000);
    expect(config.DATABASE_URL).to.equal("postgres://u@127.0.0.1:5433/db");
    expect(config.TRUST_PROXY).to.equal(true);
    expect(config.OPERATOR_API_KEY).to.equal(undefined);
    expect(config.BATCH_MAX).to.equal(5);
  });

  it("names every bad value in one ConfigError", () => {
    try {
      loadConfig({ env: { PORT: "eighty", MIN_PLAY_SECONDS: "-1", OPERATOR_API_KEY: "short", MAX_PLAYS_PER_REQUEST: "5000" } });
      expect.fail("loadConfig accepted bad values");
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const { code, message } = error as ConfigError;
      expect(code).to.equal("invalid_config");
      for (const name of ["PORT", "MIN_PLAY_SECONDS", "OPERATOR_API_KEY", "MAX_PLAYS_PER_REQUEST"]) expect(message).to.contain(name);
    }
  });

  it("exports the settings table the README renders", () => {
    const table = configTable();
    expect(table.map((row) => row.name)).to.deep.equal(Object.keys(CONFIG_SETTINGS));
    expect(table.find((row) => row.name === "PORT")).to.deep.equal({ name: "PORT", default: "8787", meaning: "HTTP port the API listens on" });
    expect(table.find((row) => row.name === "DATABASE_URL")?.default).to.equal("(unset)");
    for (const row of table) expect(row.meaning.length, row.name).to.be.greaterThan(10);
  });

  it("is documented row for row in the README", async () => {
    const readme = await readFile("README.md", "utf8");
    for (const row of configTable()) expect(readme, row.name).to.include(`| \`${row.name}\` | \`${row.default}\` | ${row.meaning} |`);
  });
});

describe("relayer core: deployments file", () => {
  const contracts = {
    MusicNFT: { address: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const, startBlock: 1 },
    CreatorCoinFactory: { address: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const, startBlock: 1 },
  };

  it("round-trips through writeDeployments and checksums addresses", async () => {
    const dir = await tempDir();
    try {
      await writeDeployments({ dir: dir.path, deployments: { chainId: 31337, contracts } });
      const loaded = await loadDeployments({ dir: dir.path, chainId: 31337 });
      expect(loaded.contracts.MusicNFT).to.deep.equal({ address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", startBlock: 1 });
      expect(loaded).to.not.have.property("roles");
      // The deploy records whom it granted each role.
      const roles = { admin: "0x976ea74026e726554db657fa54763abd0c3a0aa9" as const, committer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as const };
      await writeDeployments({ dir: dir.path, deployments: { chainId: 31337, contracts, roles } });
      expect((await loadDeployments({ dir: dir.path, chainId: 31337 })).roles).to.deep.equal({
        admin: "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
        committer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
      });
    } finally {
      await dir.remove();
    }
  });

  it("refuses a missing file, bad JSON, a bad address, a missing contract and the wrong chain", async () => {
    const dir = await tempDir();
    const expectInvalid = async (content: string | undefined, pattern: RegExp) => {
      if (content !== undefined) await writeFile(join(dir.path, "31337.json"), content);
      try {
        await loadDeployments({ dir: dir.path, chainId: 31337 });
        expect.fail("loaded an invalid deployments file");
      } catch (error) {
        expect(error).to.be.instanceOf(DeploymentsError);
        expect((error as DeploymentsError).code).to.equal("invalid_deployments");
        expect((error as DeploymentsError).message).to.match(pattern);
      }
    };
    try {
      await expectInvalid(undefined, /cannot read/);
      await expectInvalid("{", /not valid JSON/);
      await expectInvalid(JSON.stringify({ chainId: 31337, contracts: { ...contracts, MusicNFT: { address: "0x12", startBlock: 1 } } }), /MusicNFT.address/);
      await expectInvalid(JSON.stringify({ chainId: 31337, contracts: { MusicNFT: contracts.MusicNFT } }), /must include/);
      await expectInvalid(JSON.stringify({ chainId: 1, contracts }), /for chain 1, expected 31337/);
    } finally {
      await dir.remove();
    }
  });
});
