/**
 * The BeatStream client a dApp imports: signs plays and every engagement event with the fan's wallet (EIP-712 in
 * MusicNFT's domain, no gas) and sends them through the batching, retrying, offline-safe queue (queue.ts).
 *
 *   const client = createBeatStreamClient({ relayerUrl, chainId, musicNFT, wallet });
 *   const result = await client.like(7n);   // { status: "accepted", id: "17", effect: "applied" }
 */
import type { Address, Hex } from "viem";
import { ENGAGEMENT_TYPES, PLAY_TYPES, playDomain, type Play } from "../relayer/src/crypto/eip712.js";
import { BeatStreamClientError } from "./errors.js";
import {
  buildEngagement,
  engagementItem,
  NO_VALUE,
  playItem,
  randomBytes32,
  toTrackId,
  type EngagementAction,
  type EngagementFields,
  type PlaySource,
  type ShareChannel,
} from "./events.js";
import { createEventQueue, type CreateEventQueueParameters, type ItemResult, type Timers } from "./queue.js";
import type { QueuedEvent } from "./storage.js";
import { toSigner, type BeatStreamWallet } from "./signer.js";

export type CreateBeatStreamClientParameters = Omit<CreateEventQueueParameters, "relayerUrl"> & {
  /** The relayer's base URL, e.g. `http://127.0.0.1:8787`. */
  relayerUrl: string;
  chainId: number;
  /** MusicNFT's address: the EIP-712 verifying contract of plays and engagement. */
  musicNFT: Address;
  /** A viem WalletClient with an account, or a LocalAccount (`privateKeyToAccount`, …). */
  wallet: BeatStreamWallet;
  /** The listening session that play outcomes carry (default: 32 random bytes per client). */
  sessionId?: Hex;
  /** Milliseconds since the epoch (default Date.now); tests move it by hand. */
  now?: () => number;
};

export type PlayInput = {
  trackId: bigint | number | string;
  /** Unix seconds when listening began. */
  startedAt: number | bigint;
  /** Seconds actually heard (the relayer counts plays of at least 20). */
  durationSeconds: number;
  nonce?: Hex;
};

/** A result that also names what the event created. */
export type CreatedResult<Key extends string> = ItemResult & Record<Key, Hex>;

export type BeatStreamClient = {
  /** The signing address (listener and fan). */
  readonly address: Address;
  readonly sessionId: Hex;
  readonly now: () => number;
  readonly timers: Timers;
  /** Resolves once events a previous run left in storage are queued again. */
  readonly ready: Promise<void>;
  sendPlay(play: PlayInput): Promise<ItemResult>;
  /** Any action of docs/engagement.md's table with its fields; the typed methods below are this with the table filled in. */
  engage(action: EngagementAction, fields?: EngagementFields): Promise<ItemResult>;
  like(trackId: bigint | number | string): Promise<ItemResult>;
  unlike(trackId: bigint | number | string): Promise<ItemResult>;
  save(trackId: bigint | number | string): Promise<ItemResult>;
  unsave(trackId: bigint | number | string): Promise<ItemResult>;
  share(trackId: bigint | number | string, channel: ShareChannel): Promise<ItemResult>;
  download(trackId: bigint | number | string): Promise<ItemResult>;
  follow(artist: Address): Promise<ItemResult>;
  unfollow(artist: Address): Promise<ItemResult>;
  createPlaylist(playlist: { name: string; public?: boolean; playlistId?: Hex }): Promise<CreatedResult<"playlistId">>;
  renamePlaylist(playlistId: Hex, name: string): Promise<ItemResult>;
  setPlaylistVisibility(playlistId: Hex, isPublic: boolean): Promise<ItemResult>;
  /** Inserts at `index` (default: appends). */
  addToPlaylist(playlistId: Hex, trackId: bigint | number | string, index?: number): Promise<ItemResult>;
  removeFromPlaylist(playlistId: Hex, trackId: bigint | number | string): Promise<ItemResult>;
  /** Moves the track to `index` (clamped to the end by the relayer). */
  moveInPlaylist(playlistId: Hex, trackId: bigint | number | string, index: number): Promise<ItemResult>;
  deletePlaylist(playlistId: Hex): Promise<ItemResult>;
  comment(trackId: bigint | number | string, text: string, options?: { positionSeconds?: number; commentId?: Hex }): Promise<CreatedResult<"commentId">>;
  deleteComment(trackId: bigint | number | string, commentId: Hex): Promise<ItemResult>;
  /** How a play ended (the tracker sends these): heard to the end, `secondsHeard` in all. */
  playComplete(outcome: { trackId: bigint | number | string; source: PlaySource; secondsHeard: number; sessionId?: Hex }): Promise<ItemResult>;
  /** How a play ended: skipped at second `atSecond` of the track. */
  playSkip(outcome: { trackId: bigint | number | string; source: PlaySource; atSecond: number; sessionId?: Hex }): Promise<ItemResult>;
  /** Sends everything waiting now; resolves with how many events still wait (0 unless the relayer is unreachable). */
  flush(): Promise<number>;
  /** Hands what waits to `navigator.sendBeacon` (the queue does this itself when the page is hidden). */
  beacon(): number;
  /** Events signed and not yet answered. */
  pending(): number;
  /** Stops the queue's timers and listeners; what waits stays in storage (resolves when it is written). */
  close(): Promise<void>;
};

export function createBeatStreamClient(parameters: CreateBeatStreamClientParameters): BeatStreamClient {
  const { chainId, musicNFT, now = Date.now, ...queueParameters } = parameters;
  const signer = toSigner(parameters.wallet);
  const domain = playDomain({ chainId, musicNFT });
  const sessionId = parameters.sessionId ?? randomBytes32();
  const timers: Timers = parameters.timers ?? { setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms), clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>) };
  const queue = createEventQueue({ ...queueParameters, timers });
  const maxQueued = parameters.maxQueued ?? 10_000;

  const roomLeft = () => {
    if (queue.size() >= maxQueued) throw new BeatStreamClientError("queue_full", `the queue holds ${maxQueued} events already`);
  };

  /** Events being signed: flush() waits for them, so an event sent just before a flush goes with it. */
  const signing = new Set<Promise<unknown>>();
  /** The previous event's turn to be queued: events are signed side by side but queued (and sent) in call order. */
  let previous: Promise<unknown> = Promise.resolve();
  /** Signs, then queues; the answer comes when the relayer has one. */
  const signAndQueue = async (sign: () => Promise<QueuedEvent>): Promise<ItemResult> => {
    const event = sign();
    // The queue's answer is wrapped, so that `signed` settles when the event is queued, not when it is answered.
    const signed = previous.then(() => event).then((ready) => ({ answer: queue.enqueue(ready) }));
    previous = signed.catch(() => undefined);
    signing.add(signed);
    const done = () => void signing.delete(signed);
    signed.then(done, done);
    return (await signed).answer;
  };

  const engage = (action: EngagementAction, fields: EngagementFields = {}): Promise<ItemResult> =>
    signAndQueue(async () => {
      const message = buildEngagement({ fan: signer.address, action, fields, nonce: randomBytes32(), issuedAt: Math.floor(now() / 1000) });
      roomLeft();
      const signature = await signer.signTypedData({ domain, types: ENGAGEMENT_TYPES, primaryType: "Engagement", message });
      return { kind: "engagement", item: engagementItem(message, signature) };
    });

  const created = async <Key extends string>(key: Key, id: Hex, sent: Promise<ItemResult>): Promise<CreatedResult<Key>> =>
    ({ ...(await sent), [key]: id }) as CreatedResult<Key>;

  return {
    address: signer.address,
    sessionId,
    now,
    timers,
    ready: queue.ready,
    sendPlay: ({ trackId, startedAt, durationSeconds, nonce = randomBytes32() }) =>
      signAndQueue(async () => {
        if (!Number.isInteger(durationSeconds) || durationSeconds < 0 || durationSeconds > 4_294_967_295) {
          throw new BeatStreamClientError("invalid_event", `play: durationSeconds must be a uint32 (is ${durationSeconds})`);
        }
        const play: Play = { listener: signer.address, trackId: toTrackId(trackId, "play"), startedAt: BigInt(startedAt), durationSeconds, nonce };
        roomLeft();
        const signature = await signer.signTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play });
        return { kind: "play", item: playItem(play, signature) };
      }),
    engage,
    like: (trackId) => engage("like", { trackId }),
    unlike: (trackId) => engage("unlike", { trackId }),
    save: (trackId) => engage("save", { trackId }),
    unsave: (trackId) => engage("unsave", { trackId }),
    share: (trackId, channel) => engage("share", { trackId, text: channel }),
    download: (trackId) => engage("download", { trackId }),
    follow: (artist) => engage("follow", { artist }),
    unfollow: (artist) => engage("unfollow", { artist }),
    createPlaylist({ name, public: isPublic = true, playlistId = randomBytes32() }) {
      return created("playlistId", playlistId, engage("playlist_create", { subject: playlistId, text: name, value: isPublic ? 1 : 0 }));
    },
    renamePlaylist: (playlistId, name) => engage("playlist_rename", { subject: playlistId, text: name }),
    setPlaylistVisibility: (playlistId, isPublic) => engage("playlist_visibility", { subject: playlistId, value: isPublic ? 1 : 0 }),
    addToPlaylist: (playlistId, trackId, index = NO_VALUE) => engage("playlist_add", { subject: playlistId, trackId, value: index }),
    removeFromPlaylist: (playlistId, trackId) => engage("playlist_remove", { subject: playlistId, trackId }),
    moveInPlaylist: (playlistId, trackId, index) => engage("playlist_move", { subject: playlistId, trackId, value: index }),
    deletePlaylist: (playlistId) => engage("playlist_delete", { subject: playlistId }),
    comment(trackId, text, { positionSeconds = NO_VALUE, commentId = randomBytes32() } = {}) {
      return created("commentId", commentId, engage("comment", { trackId, subject: commentId, text, value: positionSeconds }));
    },
    deleteComment: (trackId, commentId) => engage("comment_delete", { trackId, subject: commentId }),
    playComplete: ({ trackId, source, secondsHeard, sessionId: session = sessionId }) =>
      engage("play_complete", { trackId, subject: session, text: source, value: Math.floor(secondsHeard) }),
    playSkip: ({ trackId, source, atSecond, sessionId: session = sessionId }) =>
      engage("play_skip", { trackId, subject: session, text: source, value: Math.floor(atSecond) }),
    async flush() {
      await Promise.allSettled([...signing]);
      return queue.flush();
    },
    beacon: () => queue.beacon(),
    pending: () => queue.size(),
    close: () => queue.close(),
  };
}
