import { expect } from "chai";
import { createWalletClient, custom, recoverTypedDataAddress, zeroAddress, zeroHash, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, toAccount } from "viem/accounts";
import { ENGAGEMENT_TYPES, PLAY_TYPES, playDomain, type EngagementItem, type PlayItem } from "../../client/index.js";
import { CHAIN_ID, fakeClock, fakeRelayer, MUSIC_NFT, testClient } from "./fakes.js";

const ARTIST = "0x00000000000000000000000000000000000000A1";
const domain = playDomain({ chainId: CHAIN_ID, musicNFT: MUSIC_NFT });

function recoverEngagement(item: Record<string, unknown>) {
  const { signature, ...fields } = item as EngagementItem;
  return recoverTypedDataAddress({
    domain,
    types: ENGAGEMENT_TYPES,
    primaryType: "Engagement",
    message: { ...fields, trackId: BigInt(fields.trackId), issuedAt: BigInt(fields.issuedAt) },
    signature,
  });
}

describe("client signatures", function () {
  it("signs every action of the table as an Engagement the fan's address recovers from, with unused fields zero", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const { client, account } = testClient({ clock, relayer });
    const playlist = `0x${"11".repeat(32)}` as Hex;
    const comment = `0x${"22".repeat(32)}` as Hex;
    const sent = [
      client.like(1n),
      client.unlike("1"),
      client.save(2),
      client.unsave(2n),
      client.share(3n, "x"),
      client.download(3n),
      client.follow(ARTIST),
      client.unfollow(ARTIST),
      client.createPlaylist({ name: "Late night", public: false, playlistId: playlist }),
      client.renamePlaylist(playlist, "Late night mix"),
      client.setPlaylistVisibility(playlist, true),
      client.addToPlaylist(playlist, 1n),
      client.addToPlaylist(playlist, 2n, 0),
      client.moveInPlaylist(playlist, 2n, 1),
      client.removeFromPlaylist(playlist, 1n),
      client.deletePlaylist(playlist),
      client.comment(3n, "Cafe\u0301 vibes", { positionSeconds: 42, commentId: comment }),
      client.deleteComment(3n, comment),
      client.playComplete({ trackId: 1n, source: "radio", secondsHeard: 187.6 }),
      client.playSkip({ trackId: 2n, source: "search", atSecond: 12 }),
    ];
    expect(await client.flush()).to.equal(0);
    const items = relayer.items();
    expect(items.map((item) => item.action)).to.deep.equal([
      "like", "unlike", "save", "unsave", "share", "download", "follow", "unfollow", "playlist_create", "playlist_rename", "playlist_visibility",
      "playlist_add", "playlist_add", "playlist_move", "playlist_remove", "playlist_delete", "comment", "comment_delete", "play_complete", "play_skip",
    ]);
    for (const item of items) {
      expect(await recoverEngagement(item)).to.equal(account.address);
      expect(item.fan).to.equal(account.address);
      expect(item.issuedAt).to.equal(Math.floor(clock.now() / 1000));
      expect(item.nonce).to.match(/^0x[0-9a-f]{64}$/);
    }
    expect(new Set(items.map((item) => item.nonce)).size).to.equal(items.length);
    const pick = ({ trackId, artist, subject, text, value }: Record<string, unknown>) => ({ trackId, artist, subject, text, value });
    expect(pick(items[4]!)).to.deep.equal({ trackId: "3", artist: zeroAddress, subject: zeroHash, text: "x", value: 0 });
    expect(pick(items[6]!)).to.deep.equal({ trackId: "0", artist: ARTIST.toLowerCase(), subject: zeroHash, text: "", value: 0 });
    expect(pick(items[8]!)).to.deep.equal({ trackId: "0", artist: zeroAddress, subject: playlist, text: "Late night", value: 0 });
    expect(pick(items[11]!)).to.deep.include({ trackId: "1", value: 4_294_967_295 });
    expect(pick(items[12]!)).to.deep.include({ trackId: "2", value: 0 });
    // NFC: "e" + combining acute is signed as the one character "é".
    expect(pick(items[16]!)).to.deep.equal({ trackId: "3", artist: zeroAddress, subject: comment, text: "Café vibes", value: 42 });
    expect(pick(items[18]!)).to.deep.equal({ trackId: "1", artist: zeroAddress, subject: client.sessionId, text: "radio", value: 187 });
    expect(pick(items[19]!)).to.deep.equal({ trackId: "2", artist: zeroAddress, subject: client.sessionId, text: "search", value: 12 });
    const created = await sent[8]!;
    expect(created).to.deep.include({ status: "accepted", playlistId: playlist });
  });

  it("signs plays as MusicNFT's Play with a viem WalletClient as well as a LocalAccount", async function () {
    const account = privateKeyToAccount(generatePrivateKey());
    const wallet = createWalletClient({ account, transport: custom({ request: async () => { throw new Error("a local account signs without the transport"); } }) });
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const { client } = testClient({ clock, relayer, wallet });
    expect(client.address).to.equal(account.address);
    void client.sendPlay({ trackId: 7n, startedAt: 1_799_999_900, durationSeconds: 95 });
    await client.flush();
    const { signature, ...play } = relayer.items()[0] as PlayItem;
    expect(play).to.deep.include({ listener: account.address, trackId: "7", startedAt: 1_799_999_900, durationSeconds: 95 });
    const signer = await recoverTypedDataAddress({
      domain,
      types: PLAY_TYPES,
      primaryType: "Play",
      message: { ...play, trackId: BigInt(play.trackId), startedAt: BigInt(play.startedAt) },
      signature,
    });
    expect(signer).to.equal(account.address);
  });

  it("queues events in the order they were called, even when the wallet answers out of order", async function () {
    const account = privateKeyToAccount(generatePrivateKey());
    let calls = 0;
    // The first signature takes longest: a slow wallet must not reorder a playlist's create and its first add.
    const slow = toAccount({
      address: account.address,
      signMessage: (parameters) => account.signMessage(parameters),
      signTransaction: (transaction) => account.signTransaction(transaction),
      async signTypedData(parameters) {
        const delay = [30, 10, 0][calls++] ?? 0;
        await new Promise((resolve) => setTimeout(resolve, delay));
        return account.signTypedData(parameters);
      },
    });
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const { client } = testClient({ clock, relayer, wallet: slow });
    const playlist = `0x${"44".repeat(32)}` as Hex;
    void client.createPlaylist({ name: "First", playlistId: playlist });
    void client.addToPlaylist(playlist, 1n);
    void client.addToPlaylist(playlist, 2n);
    await client.flush();
    expect(relayer.items().map((item) => [item.action, item.trackId])).to.deep.equal([["playlist_create", "0"], ["playlist_add", "1"], ["playlist_add", "2"]]);
  });

  it("refuses what the relayer would call invalid_event before signing or queueing anything", async function () {
    const clock = fakeClock();
    const relayer = fakeRelayer();
    const { client } = testClient({ clock, relayer });
    const playlist = `0x${"33".repeat(32)}` as Hex;
    const bad: [string, () => Promise<unknown>][] = [
      ["track 0", () => client.like(0n)],
      ["not a number", () => client.save("seven")],
      ["channel", () => client.share(1n, "myspace" as "x")],
      ["zero artist", () => client.follow(zeroAddress)],
      ["bad address", () => client.follow("0x1234")],
      ["empty name", () => client.createPlaylist({ name: "" })],
      ["long name", () => client.renamePlaylist(playlist, "n".repeat(101))],
      ["control character", () => client.createPlaylist({ name: "tab\there" })],
      ["long comment", () => client.comment(1n, "😀".repeat(501))],
      ["negative index", () => client.moveInPlaylist(playlist, 1n, -1)],
      ["source", () => client.playSkip({ trackId: 1n, source: "tv" as "radio", atSecond: 3 })],
      ["zero subject", () => client.deletePlaylist(zeroHash)],
      ["unused field", () => client.engage("like", { trackId: 1n, text: "hi" })],
      ["unknown action", () => client.engage("boost" as "like", { trackId: 1n })],
      ["duration", () => client.sendPlay({ trackId: 1n, startedAt: 1, durationSeconds: -5 })],
    ];
    for (const [name, call] of bad) {
      const error = await call().then(() => undefined, (reason: unknown) => reason);
      expect(error, name).to.have.property("code", "invalid_event");
    }
    // 500 emoji are 500 characters (code points), not 1,000 UTF-16 units: accepted.
    void client.comment(1n, "😀".repeat(500));
    await client.flush();
    expect(relayer.requests).to.have.length(1);
    expect(relayer.items()).to.have.length(1);
  });
});
