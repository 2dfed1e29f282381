import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { hashTypedData, hexToBytes, recoverTypedDataAddress, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createChainReader } from "../../relayer/src/chain/reader.js";
import { createEngagementVerifier } from "../../relayer/src/crypto/engagement.js";
import { createVerifierPool } from "../../relayer/src/crypto/verify-pool.js";
import { ENGAGEMENT_TYPES, playDomain } from "../../relayer/src/crypto/eip712.js";
import { createArtistCatalog } from "../../relayer/src/engagement/artists.js";
import { ingestEngagement, MAX_PLAYLISTS, MAX_PLAYLIST_TRACKS, type EngagementResult, type EngagementRules } from "../../relayer/src/engagement/ingest.js";
import { ENGAGEMENT_ACTIONS, NO_VALUE, type EngagementAction } from "../../relayer/src/engagement/schema.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { countEngagementRows, findPlaylist } from "../../relayer/src/repo/engagement.js";
import { createTrackCatalog } from "../../relayer/src/plays/tracks.js";
import { openPostgres } from "../../relayer/src/repo/db/postgres.js";
import { migrate } from "../../relayer/src/repo/db/migrations.js";
import { BACKENDS, createPostgresDatabase, DEFAULT_ENGAGEMENT_RULES, deployChain, newListener, TEST_DATABASE_URL, type Chain } from "./core.helpers.js";
import { engagementOf, randomId, signedEvent, type EventFields } from "./engagement.helpers.js";

const NOW = 1_900_000_000;
const T = BigInt(NOW - 600);
const MAX_UINT256 = (1n << 256n) - 1n;

describe("relayer engagement: the Engagement digest and signer", function () {
  this.timeout(60_000);
  const domain = { chainId: 31337, musicNFT: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address };
  const verifier = createEngagementVerifier(domain);

  const cases = () => {
    const random = Array.from({ length: 40 }, (_, index) =>
      engagementOf(privateKeyToAccount(generatePrivateKey()).address, ENGAGEMENT_ACTIONS[index % ENGAGEMENT_ACTIONS.length]!, {
        trackId: BigInt(`0x${randomBytes(1 + (index % 32)).toString("hex")}`),
        artist: `0x${randomBytes(20).toString("hex")}`,
        subject: randomId(),
        text: randomBytes(index * 3).toString("base64"),
        value: randomBytes(4).readUInt32BE(0),
        issuedAt: BigInt(`0x${randomBytes(8).toString("hex")}`),
      }),
    );
    const fan = privateKeyToAccount(generatePrivateKey()).address;
    const edges = [
      engagementOf(fan, "like", { issuedAt: 0n }),
      engagementOf(fan, "comment", { trackId: MAX_UINT256, value: NO_VALUE, issuedAt: (1n << 64n) - 1n, text: "" }),
      engagementOf(fan, "comment", { trackId: 1n, text: "é ü 日本語 🎵🎶 \n ".repeat(40), issuedAt: 1n }),
      engagementOf(fan, "playlist_create", { subject: `0x${"ff".repeat(32)}`, artist: `0x${"ff".repeat(20)}`, text: "x".repeat(10_000), issuedAt: 5n }),
    ];
    return [...random, ...edges];
  };

  it("hashes every action as viem's hashTypedData does, on random and edge inputs", () => {
    for (const event of cases()) {
      const expected = hashTypedData({ domain: playDomain(domain), types: ENGAGEMENT_TYPES, primaryType: "Engagement", message: event });
      expect(Buffer.from(verifier.digest(event)).toString("hex"), event.action).to.equal(expected.slice(2));
    }
  });

  it("recovers the signer as viem's recoverTypedDataAddress does, and refuses a forged or malleable signature", async () => {
    for (const [index, event] of cases().slice(0, 20).entries()) {
      const account = privateKeyToAccount(generatePrivateKey());
      const message = { ...event, fan: account.address };
      const signature = await account.signTypedData({ domain: playDomain(domain), types: ENGAGEMENT_TYPES, primaryType: "Engagement", message });
      const viemSigner = await recoverTypedDataAddress({ domain: playDomain(domain), types: ENGAGEMENT_TYPES, primaryType: "Engagement", message, signature });
      expect(verifier.recover(verifier.digest(message), signature), `case ${index}`).to.equal(viemSigner.toLowerCase());
      const [check] = await verifier.check([{ event: { ...message, fan: account.address.toLowerCase() as Address }, signature }]);
      expect(check!.valid).to.equal(true);
      expect(check!.signatureHash).to.match(/^0x[0-9a-f]{64}$/);
      // Any field changed: another digest, another signer.
      expect((await verifier.check([{ event: { ...message, fan: account.address.toLowerCase() as Address, value: message.value === 0 ? 1 : message.value - 1 }, signature }]))[0]!.valid).to.equal(false);
      // The high-s twin of a valid signature is refused, as OpenZeppelin's ECDSA refuses it.
      const bytes = hexToBytes(signature);
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const s = BigInt(`0x${Buffer.from(bytes.subarray(32, 64)).toString("hex")}`);
      const twin = Buffer.from(bytes);
      twin.write((n - s).toString(16).padStart(64, "0"), 32, "hex");
      twin[64] = bytes[64] === 27 ? 28 : 27;
      expect(verifier.recover(verifier.digest(message), `0x${twin.toString("hex")}`)).to.equal(null);
    }
  });
});

describe("relayer engagement: signature checks on the pool's threads", function () {
  this.timeout(60_000);

  it("gives the same verdicts and signature hashes on worker threads as on this thread", async () => {
    const domain = { chainId: 31337, musicNFT: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address };
    const pool = createVerifierPool({ ...domain, threads: 2, minChunk: 4 });
    try {
      const pooled = createEngagementVerifier({ ...domain, signatures: pool });
      const inline = createEngagementVerifier(domain);
      const items = [];
      for (let index = 0; index < 24; index++) {
        const account = privateKeyToAccount(generatePrivateKey());
        const event = { ...engagementOf(account.address, "comment", { trackId: BigInt(index + 1), subject: randomId(), text: `n° ${index} ✓`, value: index, issuedAt: T }) };
        const signature = await account.signTypedData({ domain: playDomain(domain), types: ENGAGEMENT_TYPES, primaryType: "Engagement", message: event });
        const fan = account.address.toLowerCase() as Address;
        // Every third is forged (another event's signature), every fifth has a short signature.
        items.push({ event: { ...event, fan }, signature: index % 5 === 4 ? (signature.slice(0, 20) as Address) : signature });
      }
      for (let index = 2; index < items.length; index += 3) items[index] = { ...items[index]!, signature: items[index - 1]!.signature };
      const [onThreads, onThisThread] = await Promise.all([pooled.check(items), inline.check(items)]);
      expect(onThreads).to.deep.equal(onThisThread);
      expect(onThreads.map((check) => check.valid)).to.deep.equal(items.map((_, index) => index % 3 !== 2 && index % 5 !== 4));
    } finally {
      await pool.close();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`relayer engagement: ingestion (${backend.name})`, function () {
    this.timeout(300_000);
    let chain: Chain;
    let db: Database;
    let dispose: () => Promise<void>;
    let domain: { chainId: number; musicNFT: Address };
    let artist: Address;
    let deps: { verifier: ReturnType<typeof createEngagementVerifier>; tracks: ReturnType<typeof createTrackCatalog>; artists: ReturnType<typeof createArtistCatalog> };

    before(async () => {
      chain = await deployChain(3);
      ({ db, dispose } = await backend.open());
      domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      artist = chain.creator.address as Address;
      const reader = createChainReader({ client: chain.client, musicNFT: chain.musicNFT });
      deps = {
        verifier: createEngagementVerifier(domain),
        tracks: createTrackCatalog({ reader, refreshIntervalMs: 0 }),
        artists: createArtistCatalog({ reader, negativeTtlMs: 0 }),
      };
    });
    after(async () => dispose());

    const ingest = (items: unknown[], { rules = DEFAULT_ENGAGEMENT_RULES, ip = "10.0.0.1", now = NOW }: { rules?: EngagementRules; ip?: string; now?: number } = {}) =>
      ingestEngagement({ db, ...deps, rules, items, clientIp: ip, now });
    const outcome = (results: EngagementResult[]) => results.map((r) => (r.status === "accepted" ? r.effect : r.code));
    const sign = (fan: ReturnType<typeof newListener>, action: EngagementAction, fields: Partial<EventFields> = {}) =>
      signedEvent(fan, domain, action, { issuedAt: T, ...fields });

    it("applies every action and writes its state in the same transaction as the event", async () => {
      const fan = newListener();
      const me = fan.address.toLowerCase();
      const playlist = randomId();
      const comment = randomId();
      const session = randomId();
      const events = [
        await sign(fan, "like", { trackId: 1n }),
        await sign(fan, "save", { trackId: 2n }),
        await sign(fan, "share", { trackId: 1n, text: "farcaster" }),
        await sign(fan, "download", { trackId: 3n }),
        await sign(fan, "follow", { artist }),
        await sign(fan, "playlist_create", { subject: playlist, text: "Late  night", value: 0 }),
        await sign(fan, "playlist_add", { subject: playlist, trackId: 1n, value: NO_VALUE }),
        await sign(fan, "playlist_add", { subject: playlist, trackId: 2n, value: NO_VALUE }),
        await sign(fan, "playlist_add", { subject: playlist, trackId: 3n, value: 0 }),
        await sign(fan, "playlist_move", { subject: playlist, trackId: 3n, value: 99 }),
        await sign(fan, "playlist_remove", { subject: playlist, trackId: 1n }),
        await sign(fan, "playlist_rename", { subject: playlist, text: "Cafe\u0301", issuedAt: T + 1n }),
        await sign(fan, "playlist_visibility", { subject: playlist, value: 1, issuedAt: T + 2n }),
        await sign(fan, "comment", { trackId: 2n, subject: comment, text: "what a drop", value: 42 }),
        await sign(fan, "play_complete", { trackId: 1n, subject: session, text: "playlist", value: 215 }),
        await sign(fan, "play_skip", { trackId: 2n, subject: session, text: "radio", value: 12 }),
      ];
      const results = await ingest(events);
      expect(outcome(results)).to.deep.equal(events.map(() => "applied"));
      const ids = results.map((r) => (r.status === "accepted" ? BigInt(r.id) : 0n));
      expect(new Set(ids).size).to.equal(events.length);

      const { rows: stored } = await db.query<{ action: string; effective: boolean; text: string; signature: string }>(
        `SELECT action, effective, text, signature FROM engagement_events WHERE fan = $1 ORDER BY id`,
        [me],
      );
      expect(stored.map((row) => row.action)).to.deep.equal(events.map((event) => event.action));
      expect(stored.every((row) => row.effective)).to.equal(true);
      // The event keeps the text as signed; the playlist shows its NFC form.
      expect(stored[11]!.text).to.equal("Cafe\u0301");
      expect(stored[0]!.signature).to.equal(events[0]!.signature.toLowerCase());

      const { rows: marks } = await db.query(`SELECT kind, track_id::text, active FROM track_marks WHERE fan = $1 ORDER BY kind`, [me]);
      expect(marks).to.deep.equal([
        { kind: "like", track_id: "1", active: true },
        { kind: "save", track_id: "2", active: true },
      ]);
      const { rows: follows } = await db.query(`SELECT artist, active FROM follows WHERE fan = $1`, [me]);
      expect(follows).to.deep.equal([{ artist: artist.toLowerCase(), active: true }]);
      const saved = await findPlaylist(db, playlist);
      expect(saved).to.deep.include({ owner: me, name: "Café", public: true, deleted: false, createdAt: T, updatedAt: T + 2n });
      // add 1, add 2, insert 3 at 0 -> [3, 1, 2]; move 3 to the end -> [1, 2, 3]; remove 1 -> [2, 3].
      expect(saved!.tracks).to.deep.equal([2n, 3n]);
      const { rows: comments } = await db.query(`SELECT track_id::text, body, position_seconds::text, deleted FROM comments WHERE id = $1`, [comment]);
      expect(comments).to.deep.equal([{ track_id: "2", body: "what a drop", position_seconds: "42", deleted: false }]);

      const later = [
        await sign(fan, "unlike", { trackId: 1n, issuedAt: T + 10n }),
        await sign(fan, "unsave", { trackId: 2n, issuedAt: T + 10n }),
        await sign(fan, "unfollow", { artist, issuedAt: T + 10n }),
        await sign(fan, "comment_delete", { trackId: 2n, subject: comment, issuedAt: T + 10n }),
        await sign(fan, "playlist_delete", { subject: playlist, issuedAt: T + 10n }),
        await sign(fan, "playlist_add", { subject: playlist, trackId: 1n, issuedAt: T + 11n }),
      ];
      expect(outcome(await ingest(later))).to.deep.equal(["applied", "applied", "applied", "applied", "applied", "unknown_playlist"]);
      expect((await db.query(`SELECT 1 FROM track_marks WHERE fan = $1 AND active`, [me])).rows).to.have.length(0);
      expect((await db.query(`SELECT 1 FROM follows WHERE fan = $1 AND active`, [me])).rows).to.have.length(0);
      expect((await db.query(`SELECT deleted FROM comments WHERE id = $1`, [comment])).rows).to.deep.equal([{ deleted: true }]);
      expect((await findPlaylist(db, playlist))?.deleted).to.equal(true);
      expect((await db.query(`SELECT 1 FROM playlist_tracks WHERE playlist_id = $1`, [playlist])).rows).to.have.length(0);
    });

    it("keeps toggles idempotent: a second like, an unlike of nothing and a repeated follow are stored as unchanged", async () => {
      const fan = newListener();
      const results = await ingest([
        await sign(fan, "unlike", { trackId: 1n }),
        await sign(fan, "like", { trackId: 1n }),
        await sign(fan, "like", { trackId: 1n }),
        await sign(fan, "follow", { artist }),
        await sign(fan, "follow", { artist }),
        await sign(fan, "unsave", { trackId: 3n }),
      ]);
      expect(outcome(results)).to.deep.equal(["unchanged", "applied", "unchanged", "applied", "unchanged", "unchanged"]);
      const { rows } = await db.query<{ effective: boolean }>(`SELECT effective FROM engagement_events WHERE fan = $1 ORDER BY id`, [fan.address.toLowerCase()]);
      expect(rows.map((row) => row.effective)).to.deep.equal([false, true, false, true, false, false]);
      // One like, however often it was sent.
      expect((await db.query(`SELECT 1 FROM track_marks WHERE fan = $1 AND kind = 'like' AND active`, [fan.address.toLowerCase()])).rows).to.have.length(1);
    });

    it("orders toggles by issuedAt: an older toggle uploaded late changes nothing, even after a no-op newer one", async () => {
      const fan = newListener();
      expect(outcome(await ingest([await sign(fan, "like", { trackId: 2n, issuedAt: T })]))).to.deep.equal(["applied"]);
      // An unlike signed before the like (an offline queue flushing late) cannot undo it.
      expect(outcome(await ingest([await sign(fan, "unlike", { trackId: 2n, issuedAt: T - 50n })]))).to.deep.equal(["unchanged"]);
      // A newer like that changes nothing still moves the state's time: an unlike between the two stays undone.
      expect(outcome(await ingest([await sign(fan, "like", { trackId: 2n, issuedAt: T + 100n })]))).to.deep.equal(["unchanged"]);
      expect(outcome(await ingest([await sign(fan, "unlike", { trackId: 2n, issuedAt: T + 50n })]))).to.deep.equal(["unchanged"]);
      expect(outcome(await ingest([await sign(fan, "unlike", { trackId: 2n, issuedAt: T + 100n })]))).to.deep.equal(["applied"]);
      // Same for follows, and an unfollow of nothing fixes the time too.
      const other = newListener();
      expect(outcome(await ingest([await sign(other, "unfollow", { artist, issuedAt: T })]))).to.deep.equal(["unchanged"]);
      expect(outcome(await ingest([await sign(other, "follow", { artist, issuedAt: T - 1n })]))).to.deep.equal(["unchanged"]);
      expect((await db.query(`SELECT active FROM follows WHERE fan = $1`, [other.address.toLowerCase()])).rows).to.deep.equal([{ active: false }]);
    });

    it("refuses what a fan does not own or what does not exist, and stores nothing for it", async () => {
      const owner = newListener();
      const stranger = newListener();
      const playlist = randomId();
      const comment = randomId();
      await ingest([
        await sign(owner, "playlist_create", { subject: playlist, text: "mine", value: 1 }),
        await sign(owner, "comment", { trackId: 1n, subject: comment, text: "first", value: NO_VALUE }),
      ]);
      const before = await countEngagementRows(db);
      const results = await ingest([
        await sign(stranger, "playlist_rename", { subject: playlist, text: "theirs", issuedAt: T + 1n }),
        await sign(stranger, "playlist_add", { subject: playlist, trackId: 1n }),
        await sign(stranger, "playlist_delete", { subject: playlist }),
        await sign(stranger, "playlist_create", { subject: playlist, text: "steal", value: 1 }),
        await sign(stranger, "playlist_add", { subject: randomId(), trackId: 1n }),
        await sign(stranger, "comment_delete", { trackId: 1n, subject: comment }),
        await sign(stranger, "comment", { trackId: 1n, subject: comment, text: "same id" }),
        await sign(owner, "comment_delete", { trackId: 2n, subject: comment }),
        await sign(owner, "comment_delete", { trackId: 1n, subject: randomId() }),
        await sign(stranger, "like", { trackId: 9_999n }),
        await sign(stranger, "follow", { artist: owner.address }),
        await sign(stranger, "playlist_add", { subject: playlist, trackId: 9_998n }),
      ]);
      expect(outcome(results)).to.deep.equal([
        "not_owner",
        "not_owner",
        "not_owner",
        "not_owner",
        "unknown_playlist",
        "not_owner",
        "not_owner",
        "unknown_comment",
        "unknown_comment",
        "unknown_track",
        "unknown_artist",
        "unknown_track",
      ]);
      expect(await countEngagementRows(db)).to.deep.equal(before);
      expect((await findPlaylist(db, playlist))?.name).to.equal("mine");
      // The owner's own retries are no-ops, not errors.
      expect(outcome(await ingest([await sign(owner, "playlist_create", { subject: playlist, text: "again", value: 1 }), await sign(owner, "comment", { trackId: 1n, subject: comment, text: "again" })]))).to.deep.equal(["unchanged", "unchanged"]);
    });

    it("caps a playlist at 500 tracks and a fan at 200 playlists", async () => {
      const roomy = { ...DEFAULT_ENGAGEMENT_RULES, fanPerHour: 10_000, fanPerDay: 10_000 };
      const ingestRoomy = (items: unknown[]) => ingest(items, { rules: roomy });
      // Enough tracks to fill a playlist: mint them (ids 4…503).
      const [, , creator] = await chain.connection.ethers.getSigners();
      for (let index = 0; index < MAX_PLAYLIST_TRACKS; index++) await (await chain.contracts.musicNFT.connect(creator!).mintTrack(`ipfs://more-${index}`, creator!.address, 0)).wait();
      const fan = newListener();
      const playlist = randomId();
      const adds = [await sign(fan, "playlist_create", { subject: playlist, text: "full", value: 1 })];
      for (let track = 1n; track <= BigInt(MAX_PLAYLIST_TRACKS) + 1n; track++) adds.push(await sign(fan, "playlist_add", { subject: playlist, trackId: track, value: NO_VALUE }));
      const results = outcome(await ingestRoomy(adds));
      expect(results.filter((r) => r === "applied")).to.have.length(MAX_PLAYLIST_TRACKS + 1);
      expect(results.at(-1)).to.equal("playlist_full");
      expect((await findPlaylist(db, playlist))?.tracks).to.have.length(MAX_PLAYLIST_TRACKS);
      // Removing one makes room again.
      const makeRoom = [await sign(fan, "playlist_remove", { subject: playlist, trackId: 7n }), await sign(fan, "playlist_add", { subject: playlist, trackId: 501n, value: 0 })];
      expect(outcome(await ingestRoomy(makeRoom))).to.deep.equal(["applied", "applied"]);
      expect((await findPlaylist(db, playlist))?.tracks[0]).to.equal(501n);

      const creates = [];
      for (let index = 0; index < MAX_PLAYLISTS; index++) creates.push(await sign(fan, "playlist_create", { subject: randomId(), text: `p${index}`, value: 0 }));
      const made = outcome(await ingestRoomy(creates));
      // The fan already owns one.
      expect(made.filter((r) => r === "applied")).to.have.length(MAX_PLAYLISTS - 1);
      expect(made.at(-1)).to.equal("too_many_playlists");
      // A deleted playlist frees a place.
      expect(outcome(await ingestRoomy([await sign(fan, "playlist_delete", { subject: playlist }), creates.at(-1)!]))).to.deep.equal(["applied", "applied"]);
    });

    it("stores nothing of a request whose write fails halfway: no event without its state, no state without its event", async () => {
      const fan = newListener();
      const playlist = randomId();
      const items = [
        await sign(fan, "like", { trackId: 1n }),
        await sign(fan, "playlist_create", { subject: playlist, text: "doomed", value: 1 }),
        await sign(fan, "playlist_add", { subject: playlist, trackId: 2n, value: NO_VALUE }),
      ];
      const before = await countEngagementRows(db);
      // The database dies after the events, the marks and the playlist row are written, at the playlist's tracks.
      const failing: Database = {
        ...db,
        kind: db.kind,
        query: (sql, params) => db.query(sql, params),
        transaction: (fn) =>
          db.transaction((tx) =>
            fn({
              query: (sql, params) => (sql.includes("INSERT INTO playlist_tracks") ? Promise.reject(new Error("connection lost")) : tx.query(sql, params)),
            }),
          ),
        close: () => db.close(),
      };
      let failure: unknown;
      await ingestEngagement({ db: failing, ...deps, rules: DEFAULT_ENGAGEMENT_RULES, items, clientIp: "10.4.0.1", now: NOW }).catch((error: unknown) => (failure = error));
      expect(String(failure)).to.match(/connection lost/);
      expect(await countEngagementRows(db)).to.deep.equal(before);
      // The client retries the same signed events: each applies once.
      expect(outcome(await ingest(items))).to.deep.equal(["applied", "applied", "applied"]);
      expect((await findPlaylist(db, playlist))?.tracks).to.deep.equal([2n]);
    });

    it("rate-limits a fan per hour and per day of issuedAt and an IP per minute; refused items use no budget", async () => {
      const rules = { ...DEFAULT_ENGAGEMENT_RULES, fanPerHour: 2, fanPerDay: 3, ipPerMinute: 4 };
      const fan = newListener();
      const hourStart = BigInt(Math.floor((NOW - 3 * 3600) / 3600) * 3600);
      const first = await ingest(
        [
          await sign(fan, "like", { trackId: 9_999n, issuedAt: hourStart }),
          await sign(fan, "like", { trackId: 1n, issuedAt: hourStart }),
          await sign(fan, "like", { trackId: 2n, issuedAt: hourStart + 10n }),
          await sign(fan, "like", { trackId: 3n, issuedAt: hourStart + 20n }),
        ],
        { rules, ip: "10.2.0.1" },
      );
      expect(outcome(first)).to.deep.equal(["unknown_track", "applied", "applied", "rate_limited_fan"]);
      const second = await ingest([await sign(fan, "like", { trackId: 3n, issuedAt: hourStart + 3600n }), await sign(fan, "save", { trackId: 3n, issuedAt: hourStart + 3600n })], { rules, ip: "10.2.0.2" });
      expect(outcome(second)).to.deep.equal(["applied", "rate_limited_fan"]);
      const ip = "10.2.9.9";
      const many = await Promise.all(Array.from({ length: 5 }, () => sign(newListener(), "download", { trackId: 1n })));
      expect(outcome(await ingest(many, { rules, ip }))).to.deep.equal(["applied", "applied", "applied", "applied", "rate_limited_ip"]);
      expect(outcome(await ingest([await sign(newListener(), "download", { trackId: 1n })], { rules, ip }))).to.deep.equal(["rate_limited_ip"]);
      expect(outcome(await ingest([await sign(newListener(), "download", { trackId: 1n })], { rules, ip, now: NOW + 60 }))).to.deep.equal(["applied"]);
    });

    it("refuses a replay across requests and within one, a forged signature, bad times and malformed fields", async () => {
      const fan = newListener();
      const other = newListener();
      const like = await sign(fan, "like", { trackId: 1n });
      expect(outcome(await ingest([like]))).to.deep.equal(["applied"]);
      const before = await countEngagementRows(db);
      const nonce = randomId();
      const results = await ingest([
        like,
        await sign(fan, "save", { trackId: 1n, nonce: like.nonce }),
        { ...(await sign(other, "like", { trackId: 2n })), fan: fan.address },
        await sign(fan, "like", { trackId: 2n, issuedAt: BigInt(NOW + 61) }),
        await sign(fan, "like", { trackId: 2n, issuedAt: BigInt(NOW - 7 * 86_400 - 1) }),
        await sign(fan, "like", { trackId: 2n, text: "x" }),
        await sign(fan, "like", { trackId: 0n }),
        await sign(fan, "share", { trackId: 1n, text: "myspace" }),
        await sign(fan, "follow", { artist: fan.address }),
        await sign(fan, "comment", { trackId: 1n, subject: randomId(), text: "a".repeat(501) }),
        await sign(fan, "comment", { trackId: 1n, subject: randomId(), text: "bell\u0007" }),
        await sign(fan, "playlist_create", { subject: randomId(), text: "   ", value: 1 }),
        await sign(fan, "playlist_visibility", { subject: randomId(), value: 2 }),
        { ...(await sign(fan, "like", { trackId: 1n })), action: "love" },
        { ...(await sign(fan, "like", { trackId: 1n })), signature: "0x1234" },
      ]);
      expect(outcome(results)).to.deep.equal([
        "duplicate_nonce",
        "duplicate_nonce",
        "invalid_signature",
        "in_future",
        "too_old",
        "invalid_event",
        "unknown_track",
        "invalid_event",
        "invalid_event",
        "invalid_event",
        "invalid_event",
        "invalid_event",
        "invalid_event",
        "invalid_event",
        "invalid_event",
      ]);
      expect(await countEngagementRows(db)).to.deep.equal(before);
      // Two items with one fresh nonce in one request: the first is stored, the second is a replay.
      const pair = await ingest([await sign(fan, "download", { trackId: 1n, nonce }), await sign(fan, "download", { trackId: 2n, nonce })]);
      expect(outcome(pair)).to.deep.equal(["applied", "duplicate_nonce"]);
      // Edges that pass: exactly the skew and the age limit, 500 characters, a newline.
      const edges = await ingest([
        await sign(fan, "download", { trackId: 1n, issuedAt: BigInt(NOW + 60) }),
        await sign(fan, "download", { trackId: 1n, issuedAt: BigInt(NOW - 7 * 86_400) }),
        await sign(fan, "comment", { trackId: 1n, subject: randomId(), text: "🎵".repeat(500) }),
        await sign(fan, "comment", { trackId: 1n, subject: randomId(), text: "two\nlines" }),
      ]);
      expect(outcome(edges)).to.deep.equal(["applied", "applied", "applied", "applied"]);
    });
  });
}

const sharedUrl = TEST_DATABASE_URL;
if (sharedUrl !== undefined) {
  describe("relayer engagement: several relayers on one PostgreSQL", function () {
    this.timeout(300_000);

    it("never overshoots a fan's budget, a playlist's cap or a toggle when two processes ingest the same fan at once", async () => {
      const chain = await deployChain(3);
      const database = await createPostgresDatabase(sharedUrl);
      // Two pools stand for two relayer processes: nothing shared but the database.
      const first = await openPostgres({ connectionString: database.url });
      const second = await openPostgres({ connectionString: database.url });
      try {
        await migrate({ db: first });
        const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
        const reader = createChainReader({ client: chain.client, musicNFT: chain.musicNFT });
        const deps = {
          verifier: createEngagementVerifier(domain),
          tracks: createTrackCatalog({ reader, refreshIntervalMs: 0 }),
          artists: createArtistCatalog({ reader, negativeTtlMs: 0 }),
        };
        const rules = { ...DEFAULT_ENGAGEMENT_RULES, fanPerHour: 7 };
        const fan = newListener();
        const playlist = randomId();
        const create = await signedEvent(fan, domain, "playlist_create", { subject: playlist, text: "shared", value: 1, issuedAt: T });
        await ingestEngagement({ db: first, ...deps, rules, items: [create], clientIp: "10.3.0.1", now: NOW });
        // 24 requests of one event each, alternating processes, all at once: likes of one track, and adds of tracks 1–3.
        const items = await Promise.all(
          Array.from({ length: 24 }, (_, index) =>
            index % 2 === 0
              ? signedEvent(fan, domain, "like", { trackId: 1n, issuedAt: T + BigInt(index) })
              : signedEvent(fan, domain, "playlist_add", { subject: playlist, trackId: BigInt(1 + (index % 3)), value: NO_VALUE, issuedAt: T + BigInt(index) }),
          ),
        );
        const results = await Promise.all(
          items.map((item, index) => ingestEngagement({ db: index % 2 === 0 ? first : second, ...deps, rules, items: [item], clientIp: `10.3.1.${index}`, now: NOW })),
        );
        const verdicts = results.map(([result]) => (result!.status === "accepted" ? result!.effect : result!.code));
        // The create used one of the 7; exactly 6 more fit, whichever they were.
        expect(verdicts.filter((v) => v !== "rate_limited_fan")).to.have.length(6);
        const likes = verdicts.filter((v, index) => index % 2 === 0 && v !== "rate_limited_fan");
        expect(likes.filter((v) => v === "applied").length).to.equal(likes.length > 0 ? 1 : 0);
        const { rows } = await first.query<{ n: number }>(`SELECT count(*)::integer AS n FROM engagement_events WHERE fan = $1`, [fan.address.toLowerCase()]);
        expect(Number(rows[0]!.n)).to.equal(7);
        const saved = await findPlaylist(first, playlist);
        // Each track at most once, positions dense.
        expect(new Set(saved!.tracks).size).to.equal(saved!.tracks.length);
        const { rows: positions } = await first.query<{ position: number }>(`SELECT position FROM playlist_tracks WHERE playlist_id = $1 ORDER BY position`, [playlist]);
        expect(positions.map((row) => Number(row.position))).to.deep.equal(saved!.tracks.map((_, index) => index));
      } finally {
        await first.close();
        await second.close();
        await database.drop();
      }
    });
  });
}
