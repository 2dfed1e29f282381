import { expect } from "chai";
import { network } from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { PLAY_TYPES } from "../../relayer/src/crypto/eip712.js";
import { DuplicatePlayError, EmptyBatchError, InvalidPlayError, PlayNotInTreeError } from "../../relayer/src/crypto/errors.js";
import { buildPlaysTree, playLeaf, playLeafHash, proofFor, rootOf, PLAY_LEAF_ENCODING } from "../../relayer/src/crypto/merkle.js";
import type { SignedPlay } from "../../relayer/src/crypto/plays.js";
import { EvidenceError } from "../../relayer/src/errors.js";
import {
  InvalidDeltaError,
  TrackIdTooLargeError,
  UnknownTrackCreatorError,
  buildSnapshot,
  cidOf,
  computeDeltas,
  encodeSnapshot,
  packDeltas,
  unpackDeltas,
} from "../../relayer/src/evidence/index.js";
import { deployProtocol } from "../helpers/protocol.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

const listeners = [0, 1, 2].map((i) => privateKeyToAccount(keccak256(toHex(`evidence listener ${i}`))));

/** Expects `run` to throw an `EvidenceError` of class `type` with `code`, and returns it for further checks. */
function expectEvidenceError<T extends EvidenceError>(run: () => unknown, type: new (...args: never[]) => T, code: string): T {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).to.be.instanceOf(type);
  if (!(thrown instanceof type)) throw new Error("unreachable");
  expect(thrown.code).to.equal(code);
  return thrown;
}

/** The protocol, two creators (A with tracks 1 and 2, B with track 3), and a way to sign plays under MusicNFT's domain. */
async function protocolWithTracks() {
  const contracts = await deployProtocol(connection);
  const [, relayer, creatorA, creatorB] = await ethers.getSigners();
  const { musicNFT } = contracts;
  await musicNFT.connect(creatorA).mintTrack("ipfs://a1", creatorA.address, 500);
  await musicNFT.connect(creatorA).mintTrack("ipfs://a2", creatorA.address, 500);
  await musicNFT.connect(creatorB).mintTrack("ipfs://b1", creatorB.address, 500);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const musicNFTAddress = getAddress(await musicNFT.getAddress());
  const creatorOf = new Map<bigint, Address>();
  for (const trackId of [1n, 2n, 3n]) creatorOf.set(trackId, getAddress(await musicNFT.creatorOf(trackId)));

  async function sign(listener: number, trackId: bigint, n: number): Promise<SignedPlay> {
    const account = listeners[listener];
    const message = {
      listener: account.address,
      trackId,
      startedAt: 1_732_060_800n + BigInt(n * 60),
      durationSeconds: 20 + n,
      nonce: keccak256(toHex(`play ${listener}-${trackId}-${n}`)),
    };
    const signature = await account.signTypedData({
      domain: { name: "MusicNFT", version: "1", chainId, verifyingContract: musicNFTAddress },
      types: PLAY_TYPES,
      primaryType: "Play",
      message,
    });
    return { ...message, signature };
  }

  // 12 plays: track 1 ×5, track 2 ×3, track 3 ×4, from three listeners.
  const plan: [number, bigint][] = [
    [0, 1n], [1, 1n], [2, 1n], [0, 1n], [1, 1n],
    [0, 2n], [2, 2n], [2, 2n],
    [1, 3n], [1, 3n], [0, 3n], [2, 3n],
  ];
  const plays = await Promise.all(plan.map(([listener, trackId], n) => sign(listener, trackId, n)));
  return { ...contracts, relayer, creatorA, creatorB, chainId, musicNFTAddress, creatorOf, plays, sign };
}

describe("relayer evidence: Merkle tree, deltas, snapshot against MusicNFT", () => {
  it("commits a batch whose every proof MusicNFT.verifyPlay accepts, with exact per-track and per-creator counts", async () => {
    const { musicNFT, relayer, creatorA, creatorB, chainId, musicNFTAddress, creatorOf, plays } =
      await networkHelpers.loadFixture(protocolWithTracks);
    const batchId = await musicNFT.nextBatchId();
    const snapshot = buildSnapshot({ chainId, musicNFT: musicNFTAddress, batchId, previousCid: null, plays, creatorOf });
    const cid = await cidOf(encodeSnapshot(snapshot));
    const tree = buildPlaysTree(plays);
    const { tracks, creators, total } = computeDeltas({ plays, creatorOf });
    const deltas = packDeltas(tracks);
    expect(snapshot.root).to.equal(rootOf(tree));
    expect(total).to.equal(12n);

    await expect(musicNFT.connect(relayer).commitPlays(batchId, snapshot.root, cid, deltas))
      .to.emit(musicNFT, "PlaysCommitted")
      .withArgs(batchId, snapshot.root, cid, 12n, 3n, deltas);

    expect(await musicNFT.playCount(1n)).to.equal(5n);
    expect(await musicNFT.playCount(2n)).to.equal(3n);
    expect(await musicNFT.playCount(3n)).to.equal(4n);
    expect(await musicNFT.creatorPlays(creatorA.address)).to.equal(8n);
    expect(await musicNFT.creatorPlays(creatorB.address)).to.equal(4n);
    expect(creators.map(({ creator, plays: count }) => [getAddress(creator), count])).to.have.deep.members([
      [creatorA.address, 8n],
      [creatorB.address, 4n],
    ]);

    for (const play of plays) {
      const leaf = playLeafHash(play);
      expect(leaf).to.equal(tree.leafHash(playLeaf(play)));
      expect(leaf).to.equal(await musicNFT.playLeaf(play.listener, play.trackId, play.startedAt, play.durationSeconds, play.nonce, keccak256(play.signature)));
      expect(await musicNFT.verifyPlay(batchId, play, keccak256(play.signature), proofFor(tree, play))).to.equal(true);
      // The snapshot carries real signatures: the chain recovers each listener from them.
      expect(await musicNFT.recoverPlaySigner(play, play.signature)).to.equal(getAddress(play.listener));
    }
    // A play altered after signing (one second longer) has no valid proof.
    const [first] = plays;
    const altered = { ...first, durationSeconds: first.durationSeconds + 1 };
    expect(await musicNFT.verifyPlay(batchId, altered, keccak256(first.signature), proofFor(tree, first))).to.equal(false);
  });

  it("splits a delta above 2^32−1 into entries that MusicNFT adds up to the exact count", async () => {
    const { musicNFT, relayer, creatorA } = await networkHelpers.loadFixture(protocolWithTracks);
    const huge = 2n ** 33n + 5n;
    const deltas = packDeltas([{ trackId: 1n, creator: getAddress(creatorA.address), plays: huge }]);
    expect(unpackDeltas(deltas)).to.deep.equal([
      { trackId: 1n, plays: 2n ** 32n - 1n },
      { trackId: 1n, plays: 2n ** 32n - 1n },
      { trackId: 1n, plays: 7n },
    ]);
    await musicNFT.connect(relayer).commitPlays(await musicNFT.nextBatchId(), keccak256(toHex("root")), "bafy-test", deltas);
    expect(await musicNFT.playCount(1n)).to.equal(huge);
    expect(await musicNFT.creatorPlays(creatorA.address)).to.equal(huge);
  });

  it("builds exactly StandardMerkleTree's tree: root, leaf hashes and every proof, for batches of 1 to 257 plays", () => {
    // Signatures need not verify for tree shape; the values span their types' full ranges.
    const fake = (n: number): SignedPlay => ({
      listener: privateKeyToAccount(keccak256(toHex(`tree listener ${n % 7}`))).address,
      trackId: n % 3 === 0 ? (1n << 256n) - 1n - BigInt(n) : BigInt(n % 11) + 1n,
      startedAt: n % 5 === 0 ? (1n << 64n) - 1n : 1_732_060_800n + BigInt(n),
      durationSeconds: n % 4 === 0 ? 2 ** 32 - 1 : 20 + n,
      nonce: keccak256(toHex(`tree nonce ${n}`)),
      signature: `0x${keccak256(toHex(`sig a ${n}`)).slice(2)}${keccak256(toHex(`sig b ${n}`)).slice(2)}1b`,
    });
    for (const size of [1, 2, 3, 4, 5, 8, 13, 64, 100, 257]) {
      const plays = Array.from({ length: size }, (_, n) => fake(n));
      const tree = buildPlaysTree(plays);
      const values = [...tree.entries()].map(([, value]) => value);
      const reference = StandardMerkleTree.of(values, [...PLAY_LEAF_ENCODING]);
      expect(tree.root, `root of ${size}`).to.equal(reference.root);
      for (const [index, value] of tree.entries()) {
        expect(tree.leafHash(value)).to.equal(reference.leafHash(value));
        expect(tree.leafHash(value)).to.equal(playLeafHash(plays.find((play) => play.nonce === value[4])!));
        expect(tree.getProof(index), `proof ${index} of ${size}`).to.deep.equal(reference.getProof(index));
        expect(tree.getProof(value)).to.deep.equal(reference.getProof(index));
      }
    }
  });

  it("gives the same root, snapshot bytes and CID for the same batch in any order and spelling", async () => {
    const { chainId, musicNFTAddress, creatorOf, plays } = await networkHelpers.loadFixture(protocolWithTracks);
    const shuffled = [...plays].reverse().map((play, i) => (i % 2 ? { ...play, listener: getAddress(play.listener), nonce: upper(play.nonce) } : play));
    const build = (batch: SignedPlay[]) => encodeSnapshot(buildSnapshot({ chainId, musicNFT: musicNFTAddress, batchId: 7n, previousCid: null, plays: batch, creatorOf }));
    expect(rootOf(buildPlaysTree(shuffled))).to.equal(rootOf(buildPlaysTree(plays)));
    expect(build(shuffled)).to.deep.equal(build(plays));
    expect(await cidOf(build(shuffled))).to.equal(await cidOf(build(plays)));
    // The tree's values are in canonical (trackId, listener, nonce) order, and a plain rebuild gives the root.
    const tree = buildPlaysTree(shuffled);
    const values = [...tree.entries()].sort(([a], [b]) => a - b).map(([, value]) => value);
    for (let i = 1; i < values.length; i++) {
      const [a, b] = [values[i - 1], values[i]];
      expect(a[1] < b[1] || (a[1] === b[1] && (a[0] < b[0] || (a[0] === b[0] && a[4] < b[4])))).to.equal(true);
    }
    expect(StandardMerkleTree.of(values.reverse(), [...PLAY_LEAF_ENCODING]).root).to.equal(tree.root);
  });

  it("packs entries in creator-then-track order, 8-byte trackId and 4-byte count big-endian", () => {
    const low: Address = "0x00000000000000000000000000000000000000aa";
    const high: Address = "0xBB00000000000000000000000000000000000000";
    const packed = packDeltas([
      { trackId: 9n, creator: high, plays: 1n },
      { trackId: 0x0102030405060708n, creator: low, plays: 0x0a0b0c0dn },
      { trackId: 2n, creator: high, plays: 300n },
      { trackId: 5n, creator: low, plays: 2n },
    ]);
    expect(packed).to.equal(
      "0x" +
        ["0000000000000005" + "00000002", "0102030405060708" + "0a0b0c0d", "0000000000000002" + "0000012c", "0000000000000009" + "00000001"].join(""),
    );
  });

  it("refuses what would make a wrong commit, each with a typed error", async () => {
    const { creatorOf, plays, creatorA } = await networkHelpers.loadFixture(protocolWithTracks);
    const creator = getAddress(creatorA.address);
    expectEvidenceError(() => buildPlaysTree([]), EmptyBatchError, "empty_batch");
    expectEvidenceError(() => computeDeltas({ plays: [], creatorOf }), EmptyBatchError, "empty_batch");
    expectEvidenceError(() => packDeltas([]), EmptyBatchError, "empty_batch");

    const again = { ...plays[3], startedAt: plays[3].startedAt + 1n, nonce: upper(plays[3].nonce) };
    const duplicate = expectEvidenceError(() => buildPlaysTree([...plays, again]), DuplicatePlayError, "duplicate_play");
    expect(duplicate.listener).to.equal(plays[3].listener.toLowerCase());
    expect(duplicate.nonce).to.equal(plays[3].nonce);

    const unknown = expectEvidenceError(() => computeDeltas({ plays: [{ trackId: 4n }], creatorOf }), UnknownTrackCreatorError, "unknown_track_creator");
    expect(unknown.trackId).to.equal(4n);
    const tooLarge = expectEvidenceError(() => packDeltas([{ trackId: 2n ** 64n, creator, plays: 1n }]), TrackIdTooLargeError, "track_id_too_large");
    expect(tooLarge.trackId).to.equal(2n ** 64n);
    expectEvidenceError(() => packDeltas([{ trackId: 1n, creator, plays: 0n }]), InvalidDeltaError, "invalid_delta");
    expectEvidenceError(() => unpackDeltas("0x0000"), InvalidDeltaError, "invalid_delta");
    expectEvidenceError(() => unpackDeltas("0x"), InvalidDeltaError, "invalid_delta");

    const tree = buildPlaysTree(plays.slice(0, 4));
    const absent = expectEvidenceError(() => proofFor(tree, plays[5]), PlayNotInTreeError, "play_not_in_tree");
    expect(absent.nonce).to.equal(plays[5].nonce);

    const bad: [keyof SignedPlay, SignedPlay][] = [
      ["listener", { ...plays[0], listener: "0x1234" }],
      ["trackId", { ...plays[0], trackId: -1n }],
      ["trackId", { ...plays[0], trackId: 2n ** 256n }],
      ["startedAt", { ...plays[0], startedAt: 2n ** 64n }],
      ["durationSeconds", { ...plays[0], durationSeconds: 2 ** 32 }],
      ["durationSeconds", { ...plays[0], durationSeconds: 1.5 }],
      ["nonce", { ...plays[0], nonce: "0x01" }],
      ["signature", { ...plays[0], signature: "0x" }],
      ["signature", { ...plays[0], signature: "0xzz" }],
    ];
    for (const [field, play] of bad) {
      const error = expectEvidenceError(() => buildPlaysTree([play]), InvalidPlayError, "invalid_play");
      expect(error.field).to.equal(field);
    }
  });
});

function upper(hex: Hex): Hex {
  return `0x${hex.slice(2).toUpperCase()}`;
}
