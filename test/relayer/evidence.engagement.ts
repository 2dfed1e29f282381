import { expect } from "chai";
import { keccak256, toHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { PLAY_TYPES } from "../../relayer/src/crypto/eip712.js";
import type { SignedPlay } from "../../relayer/src/crypto/plays.js";
import {
  InvalidEngagementEvidenceError,
  SnapshotInvalidError,
  auditSnapshot,
  buildSnapshot,
  canonicalJson,
  computeEngagementDeltas,
  decodeSnapshot,
  encodeSnapshot,
  type SignedEngagement,
  type SnapshotV1,
  type SnapshotV2,
} from "../../relayer/src/evidence/index.js";
import { commitTotals } from "../../relayer/src/pipeline/milestones.js";
import { signEngagement } from "./engagement.helpers.js";

const MUSIC_NFT: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const DOMAIN = { chainId: 31337, musicNFT: MUSIC_NFT };
const CREATOR: Address = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const OTHER: Address = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
const fanA = privateKeyToAccount(keccak256(toHex("fan a")));
const fanB = privateKeyToAccount(keccak256(toHex("fan b")));
const listener = privateKeyToAccount(keccak256(toHex("engagement listener")));

async function play(n: number): Promise<SignedPlay> {
  const message = { listener: listener.address, trackId: 1n, startedAt: 1_900_000_000n + BigInt(n), durationSeconds: 42, nonce: keccak256(toHex(n)) };
  const signature = await listener.signTypedData({ domain: { name: "MusicNFT", version: "1", chainId: 31337, verifyingContract: MUSIC_NFT }, types: PLAY_TYPES, primaryType: "Play", message });
  return { ...message, signature };
}

async function sampleEvents(): Promise<SignedEngagement[]> {
  let at = 1_900_000_000n;
  const next = () => (at += 1n);
  return [
    await signEngagement(fanA, DOMAIN, { action: "like", trackId: 1n, issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "like", trackId: 1n, issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "unlike", trackId: 1n, issuedAt: next() }),
    await signEngagement(fanA, DOMAIN, { action: "save", trackId: 2n, issuedAt: next() }),
    await signEngagement(fanA, DOMAIN, { action: "share", trackId: 2n, text: "farcaster", issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "share", trackId: 2n, text: "x", issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "download", trackId: 2n, issuedAt: next() }),
    await signEngagement(fanA, DOMAIN, { action: "comment", trackId: 1n, subject: keccak256(toHex("c1")), text: "great bridge ✨", value: 61, issuedAt: next() }),
    await signEngagement(fanA, DOMAIN, { action: "play_complete", trackId: 1n, subject: keccak256(toHex("s1")), text: "radio", value: 180, issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "play_skip", trackId: 3n, subject: keccak256(toHex("s2")), text: "search", value: 12, issuedAt: next() }),
    await signEngagement(fanA, DOMAIN, { action: "follow", artist: CREATOR, issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "follow", artist: CREATOR, issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "follow", artist: OTHER, issuedAt: next() }),
    await signEngagement(fanB, DOMAIN, { action: "unfollow", artist: OTHER, issuedAt: next() }),
    await signEngagement(fanA, DOMAIN, { action: "playlist_create", subject: keccak256(toHex("p1")), text: "Night drive", value: 1, issuedAt: next() }),
  ];
}

let events: SignedEngagement[] | undefined;

async function sampleSnapshot(): Promise<SnapshotV2> {
  events ??= await sampleEvents();
  return buildSnapshot({
    chainId: 31337n,
    musicNFT: MUSIC_NFT,
    batchId: 3n,
    previousCid: null,
    plays: [await play(1), await play(2)],
    creatorOf: new Map([[1n, CREATOR]]),
    engagement: [...events].reverse(),
  });
}

describe("relayer evidence: engagement in the snapshot", () => {
  it("computes the counter deltas of docs/engagement.md: toggles ±1, shares by channel, follows per artist, zero entries left out", async () => {
    const deltas = computeEngagementDeltas(await sampleEvents());
    const zeroShares = { link: 0, x: 0, farcaster: 0, embed: 0, other: 0 };
    expect(deltas.tracks).to.deep.equal([
      // like by A, like then unlike by B: +1; a comment; a completed play
      { trackId: 1n, likes: 1, saves: 0, shares: zeroShares, downloads: 0, comments: 1, completes: 1, skips: 0 },
      { trackId: 2n, likes: 0, saves: 1, shares: { ...zeroShares, farcaster: 1, x: 1 }, downloads: 1, comments: 0, completes: 0, skips: 0 },
      { trackId: 3n, likes: 0, saves: 0, shares: zeroShares, downloads: 0, comments: 0, completes: 0, skips: 1 },
    ]);
    // OTHER was followed and unfollowed in the same period: no entry.
    expect(deltas.artists).to.deep.equal([{ artist: CREATOR, followers: 2 }]);
    expect(computeEngagementDeltas([])).to.deep.equal({ tracks: [], artists: [] });
    const [like] = await sampleEvents();
    expect(() => computeEngagementDeltas([{ ...like!, action: "share", text: "myspace" }])).to.throw(InvalidEngagementEvidenceError, /channel/);
    expect(() => computeEngagementDeltas([{ ...like!, action: "poke" }])).to.throw(InvalidEngagementEvidenceError, /action/);
  });

  it("snapshot version 2 carries the events in canonical order with their deltas, round-trips byte for byte and audits clean", async () => {
    const snapshot = await sampleSnapshot();
    expect(snapshot.version).to.equal(2);
    const issued = snapshot.engagement.events.map((event) => event.issuedAt);
    expect(issued).to.deep.equal([...issued].sort((a, b) => (a < b ? -1 : 1)));
    const bytes = encodeSnapshot(snapshot);
    const decoded = decodeSnapshot(bytes);
    expect(decoded).to.deep.equal(snapshot);
    expect(encodeSnapshot(decoded)).to.deep.equal(bytes);
    expect(auditSnapshot(decoded)).to.deep.equal([]);
    const json = JSON.parse(new TextDecoder().decode(bytes));
    expect(json.engagement.events[0]).to.have.keys(["fan", "action", "trackId", "artist", "subject", "text", "value", "nonce", "issuedAt", "signature"]);
    expect(json.engagement.events[0].issuedAt).to.be.a("string"); // uint64: decimal string
    expect(json.engagement.artists).to.deep.equal([{ artist: CREATOR, followers: 2 }]);
    // Same content in another order: same bytes.
    const shuffled = buildSnapshot({ chainId: 31337n, musicNFT: MUSIC_NFT, batchId: 3n, previousCid: null, plays: [await play(2), await play(1)], creatorOf: new Map([[1n, CREATOR]]), engagement: events });
    expect(new TextDecoder().decode(encodeSnapshot(shuffled)) === new TextDecoder().decode(bytes)).to.equal(true);
  });

  it("a version-1 snapshot (before engagement) still decodes and audits", async () => {
    const { engagement: _dropped, ...rest } = await sampleSnapshot();
    const v1: SnapshotV1 = { ...rest, version: 1 };
    const bytes = encodeSnapshot(v1);
    expect(new TextDecoder().decode(bytes)).to.not.include("engagement");
    const decoded = decodeSnapshot(bytes);
    expect(decoded.version).to.equal(1);
    expect(auditSnapshot(decoded)).to.deep.equal([]);
  });

  it("the audit reports engagement deltas that do not follow from the events, and an event listed twice", async () => {
    const snapshot = await sampleSnapshot();
    const [first, ...others] = snapshot.engagement.tracks;
    const inflated = { ...snapshot, engagement: { ...snapshot.engagement, tracks: [{ ...first!, likes: 5 }, ...others] } };
    expect(auditSnapshot(inflated)).to.deep.equal([
      `engagement: track 1 stated {"comments":1,"completes":1,"downloads":0,"likes":5,"saves":0,"shares":{"embed":0,"farcaster":0,"link":0,"other":0,"x":0},"skips":0}, events give {"comments":1,"completes":1,"downloads":0,"likes":1,"saves":0,"shares":{"embed":0,"farcaster":0,"link":0,"other":0,"x":0},"skips":0}`,
    ]);
    const followers = { ...snapshot, engagement: { ...snapshot.engagement, artists: [{ artist: CREATOR, followers: 3 }] } };
    expect(auditSnapshot(followers)).to.deep.equal([`engagement: artist ${CREATOR} followers stated 3, events give 2`]);
    const follow = snapshot.engagement.events.find((event) => event.action === "follow")!;
    const doubled = { ...snapshot, engagement: { ...snapshot.engagement, events: [...snapshot.engagement.events, follow] } };
    expect(auditSnapshot(doubled)).to.deep.include(`engagement: event (fan ${follow.fan}, nonce ${follow.nonce}) is listed twice`);
  });

  it("refuses engagement evidence outside the schema: unknown action, uint32 overflow, uppercase hex", async () => {
    const json = JSON.parse(new TextDecoder().decode(encodeSnapshot(await sampleSnapshot())));
    const variants: [string, (value: typeof json) => void, RegExp][] = [
      ["unknown action", (v) => (v.engagement.events[0].action = "poke"), /engagement\.events\.0\.action/],
      ["value beyond uint32", (v) => (v.engagement.events[0].value = 2 ** 32), /engagement\.events\.0\.value/],
      ["uppercase fan", (v) => (v.engagement.events[0].fan = v.engagement.events[0].fan.toUpperCase().replace("0X", "0x")), /engagement\.events\.0\.fan/],
      ["issuedAt as number", (v) => (v.engagement.events[0].issuedAt = 5), /engagement\.events\.0\.issuedAt/],
      ["delta as a string", (v) => (v.engagement.artists[0].followers = "2"), /engagement\.artists\.0\.followers/],
    ];
    for (const [why, mutate, where] of variants) {
      const copy = structuredClone(json);
      mutate(copy);
      let error: unknown;
      try {
        decodeSnapshot(new TextEncoder().encode(canonicalJson(copy)));
      } catch (caught) {
        error = caught;
      }
      expect(error, why).to.be.instanceOf(SnapshotInvalidError);
      if (error instanceof SnapshotInvalidError) expect(error.issues.join(" "), why).to.match(where);
    }
  });
});

describe("relayer milestones: which thresholds a commit crosses", () => {
  const thresholds = { plays: 100n, followers: 10n, revenue: 1_000_000n };
  const before = (followers: bigint, followersPeak: bigint, revenue: bigint) => new Map([[CREATOR, { creator: CREATOR, followers, followersPeak, revenue }]]);

  it("crossing one threshold reports all three real totals and the one reason", () => {
    const result = commitTotals({
      batchPlays: new Map([[CREATOR, 5n]]),
      playsAfter: new Map([[CREATOR, 50n]]),
      followerDeltas: [{ artist: CREATOR, followers: 3 }],
      revenueDeltas: new Map(),
      before: before(8n, 8n, 400n),
      thresholds,
    });
    expect(result.milestones).to.deep.equal([{ creator: CREATOR, plays: 50n, followers: 11n, revenue: 400n, reasons: ["followers"] }]);
    expect(result.totals).to.deep.equal([{ creator: CREATOR, followers: 11n, followersPeak: 11n, revenue: 400n }]);
  });

  it("not crossing: totals move, no milestone", () => {
    const result = commitTotals({
      batchPlays: new Map([[CREATOR, 5n]]),
      playsAfter: new Map([[CREATOR, 99n]]),
      followerDeltas: [{ artist: CREATOR, followers: 1 }],
      revenueDeltas: new Map([[CREATOR, 10n]]),
      before: before(8n, 8n, 999_000n),
      thresholds,
    });
    expect(result.milestones).to.deep.equal([]);
    expect(result.totals).to.deep.equal([{ creator: CREATOR, followers: 9n, followersPeak: 9n, revenue: 999_010n }]);
  });

  it("several thresholds at once give one milestone with every reason; a creator with only revenue is included", () => {
    const result = commitTotals({
      batchPlays: new Map([[CREATOR, 10n]]),
      playsAfter: new Map([[CREATOR, 205n], [OTHER, 7n]]),
      followerDeltas: [{ artist: CREATOR, followers: 25 }],
      revenueDeltas: new Map([[CREATOR, 2_500_000n], [OTHER, 1_000_000n]]),
      before: before(0n, 0n, 0n),
      thresholds,
    });
    expect(result.milestones).to.deep.equal([
      { creator: OTHER, plays: 7n, followers: 0n, revenue: 1_000_000n, reasons: ["revenue"] },
      { creator: CREATOR, plays: 205n, followers: 25n, revenue: 2_500_000n, reasons: ["plays", "followers", "revenue"] },
    ].sort((a, b) => (a.creator < b.creator ? -1 : 1)));
  });

  it("a follower total that dips below a multiple and comes back fires that multiple once", () => {
    const step = (followers: number, prior: Map<Address, { creator: Address; followers: bigint; followersPeak: bigint; revenue: bigint }>) =>
      commitTotals({ batchPlays: new Map(), playsAfter: new Map([[CREATOR, 1n]]), followerDeltas: [{ artist: CREATOR, followers }], revenueDeltas: new Map(), before: prior, thresholds });
    const up = step(1, before(9n, 9n, 0n));
    expect(up.milestones.map((m) => m.reasons)).to.deep.equal([["followers"]]);
    const down = step(-1, new Map([[CREATOR, up.totals[0]!]]));
    expect(down.milestones).to.deep.equal([]);
    expect(down.totals[0]).to.deep.include({ followers: 9n, followersPeak: 10n });
    const again = step(1, new Map([[CREATOR, down.totals[0]!]]));
    expect(again.milestones).to.deep.equal([]);
  });
});
