import { expect } from "chai";
import { keccak256, toHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { PLAY_TYPES } from "../../relayer/src/crypto/eip712.js";
import { buildPlaysTree, rootOf } from "../../relayer/src/crypto/merkle.js";
import type { SignedPlay } from "../../relayer/src/crypto/plays.js";
import {
  SnapshotInvalidError,
  SnapshotNotCanonicalError,
  auditSnapshot,
  buildSnapshot,
  canonicalJson,
  cidOf,
  decodeSnapshot,
  encodeSnapshot,
  type Snapshot,
} from "../../relayer/src/evidence/index.js";

const MUSIC_NFT: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const CREATOR: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const listener = privateKeyToAccount(keccak256(toHex("snapshot listener")));
const BIG_TRACK = 2n ** 255n + 1n; // beyond 2^53: must survive as a decimal string

async function signedPlay(trackId: bigint, n: number): Promise<SignedPlay> {
  const message = { listener: listener.address, trackId, startedAt: 1_732_060_800n + BigInt(n), durationSeconds: 42, nonce: keccak256(toHex(n)) };
  const signature = await listener.signTypedData({
    domain: { name: "MusicNFT", version: "1", chainId: 31337n, verifyingContract: MUSIC_NFT },
    types: PLAY_TYPES,
    primaryType: "Play",
    message,
  });
  return { ...message, signature };
}

async function sampleSnapshot(): Promise<Snapshot> {
  const plays = [await signedPlay(BIG_TRACK, 1), await signedPlay(1n, 2), await signedPlay(1n, 3)];
  return buildSnapshot({
    chainId: 31337n,
    musicNFT: MUSIC_NFT,
    batchId: 2n,
    previousCid: "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
    plays,
    creatorOf: new Map([[1n, CREATOR], [BIG_TRACK, CREATOR]]),
  });
}

function decodeError(bytes: Uint8Array): unknown {
  try {
    decodeSnapshot(bytes);
  } catch (error) {
    return error;
  }
  return undefined;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytesOf = (value: string) => new TextEncoder().encode(value);

describe("relayer evidence: canonical snapshot", () => {
  it("encodes canonical JSON: sorted keys, no spaces, wide integers as decimal strings, lowercase hex", async () => {
    const snapshot = await sampleSnapshot();
    const json = text(encodeSnapshot(snapshot));
    const [a, b, big] = snapshot.plays; // canonical order: track 1 (two plays by nonce), then the big track
    const play = (p: SignedPlay) =>
      `{"durationSeconds":42,"listener":"${p.listener}","nonce":"${p.nonce}","signature":"${p.signature}","startedAt":"${p.startedAt}","trackId":"${p.trackId}"}`;
    expect(json).to.equal(
      `{"batchId":"2","chainId":"31337","creators":[{"creator":"${CREATOR.toLowerCase()}","plays":"3"}],` +
        `"deltas":[{"plays":"2","trackId":"1"},{"plays":"1","trackId":"${BIG_TRACK}"}],` +
        `"engagement":{"artists":[],"events":[],"tracks":[]},` +
        `"musicNFT":"${MUSIC_NFT.toLowerCase()}","plays":[${play(a)},${play(b)},${play(big)}],` +
        `"previousCid":"bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e","root":"${snapshot.root}","version":2}`,
    );
    expect([a.trackId, b.trackId, big.trackId]).to.deep.equal([1n, 1n, BIG_TRACK]);
    expect(a.nonce < b.nonce).to.equal(true);
    expect(listener.address.toLowerCase()).to.equal(a.listener);
  });

  it("decodes what it encodes, and the same content always gives the same bytes and CID", async () => {
    const snapshot = await sampleSnapshot();
    const bytes = encodeSnapshot(snapshot);
    const decoded = decodeSnapshot(bytes);
    expect(decoded).to.deep.equal(snapshot);
    expect(encodeSnapshot(decoded)).to.deep.equal(bytes);
    const reordered = { ...snapshot, plays: [...snapshot.plays].reverse(), deltas: [...snapshot.deltas].reverse() };
    expect(await cidOf(encodeSnapshot(reordered))).to.equal(await cidOf(bytes));
    expect(auditSnapshot(decoded)).to.deep.equal([]);
    const first = decodeSnapshot(encodeSnapshot({ ...snapshot, previousCid: null }));
    expect(first.previousCid).to.equal(null);
  });

  it("refuses bytes that are not the snapshot schema, saying where", async () => {
    const json = JSON.parse(text(encodeSnapshot(await sampleSnapshot())));
    const variants: [string, (value: typeof json) => void, RegExp][] = [
      ["number where a wide integer belongs", (v) => (v.batchId = 2), /batchId/],
      ["leading zero", (v) => (v.chainId = "031337"), /chainId/],
      ["uppercase hex", (v) => (v.root = v.root.toUpperCase().replace("0X", "0x")), /root/],
      ["unknown key", (v) => (v.extra = true), /extra|Unrecognized/i],
      ["missing key", (v) => delete v.creators, /creators/],
      ["no plays", (v) => (v.plays = []), /plays/],
      ["uint64 overflow", (v) => (v.plays[0].startedAt = String(2n ** 64n)), /plays\.0\.startedAt/],
      ["uint32 overflow", (v) => (v.plays[0].durationSeconds = 2 ** 32), /plays\.0\.durationSeconds/],
      ["short nonce", (v) => (v.plays[0].nonce = "0x01"), /plays\.0\.nonce/],
      ["bad previous CID", (v) => (v.previousCid = "Qm123"), /previousCid/],
      ["other version", (v) => (v.version = 3), /version/],
      ["version 1 with engagement", (v) => (v.version = 1), /engagement|Unrecognized/i],
      ["version 2 without engagement", (v) => delete v.engagement, /engagement/],
    ];
    for (const [why, mutate, where] of variants) {
      const copy = structuredClone(json);
      mutate(copy);
      const error = decodeError(bytesOf(canonicalJson(copy)));
      expect(error, why).to.be.instanceOf(SnapshotInvalidError);
      if (!(error instanceof SnapshotInvalidError)) return;
      expect(error.code).to.equal("snapshot_invalid");
      expect(error.issues.join(" "), why).to.match(where);
    }
    for (const garbage of [Uint8Array.from([0xff, 0xfe]), bytesOf("{"), bytesOf("[]")]) {
      const error = decodeError(garbage);
      expect(error).to.be.instanceOf(SnapshotInvalidError);
    }
  });

  it("refuses valid content in a non-canonical encoding (its CID would differ)", async () => {
    const canonical = text(encodeSnapshot(await sampleSnapshot()));
    const json = JSON.parse(canonical);
    const noncanonical = [
      JSON.stringify(json, null, 2), // whitespace
      JSON.stringify({ version: json.version, ...json }), // keys out of order
      canonicalJson({ ...json, plays: [...json.plays].reverse() }), // plays out of order
      `${canonical}\n`,
    ];
    for (const variant of noncanonical) {
      const error = decodeError(bytesOf(variant));
      expect(error).to.be.instanceOf(SnapshotNotCanonicalError);
      if (error instanceof SnapshotNotCanonicalError) expect(error.code).to.equal("snapshot_not_canonical");
    }
  });

  it("audits a snapshot against its own plays: root, per-track deltas, creator totals", async () => {
    const snapshot = await sampleSnapshot();
    const otherRoot = rootOf(buildPlaysTree(snapshot.plays.slice(1)));
    expect(auditSnapshot({ ...snapshot, root: otherRoot })).to.deep.equal([`root: stated ${otherRoot}, plays give ${snapshot.root}`]);
    expect(auditSnapshot({ ...snapshot, deltas: [{ trackId: 1n, plays: 3n }, { trackId: BIG_TRACK, plays: 1n }] })).to.deep.equal([
      "deltas: track 1 stated 3, plays give 2",
    ]);
    expect(auditSnapshot({ ...snapshot, deltas: [...snapshot.deltas, { trackId: 1n, plays: 2n }] })).to.deep.equal(["deltas: a track is listed twice"]);
    expect(auditSnapshot({ ...snapshot, creators: [{ creator: CREATOR, plays: 4n }] })).to.deep.equal([
      "creators: totals sum to 4, the batch has 3 plays",
    ]);
  });

  it("refuses numbers a JavaScript double would round", () => {
    expect(() => canonicalJson(2 ** 53)).to.throw(TypeError, /safe integers/);
    expect(() => canonicalJson(1.5)).to.throw(TypeError, /safe integers/);
  });
});
