import type { Address, Hex } from "viem";
import { ENGAGEMENT_ACTIONS, SHARE_CHANNELS, type Engagement, type EngagementAction, type ShareChannel } from "../crypto/eip712.js";
import { lowerHex } from "../crypto/hex.js";
import { compareText } from "../crypto/plays.js";
import { InvalidEngagementEvidenceError } from "./errors.js";

/** A fan's signed `Engagement` (docs/engagement.md) as the snapshot carries it: lowercase hex, uint64/uint256 as bigint. */
export type SignedEngagement = Engagement & { signature: Hex };

export { ENGAGEMENT_ACTIONS, SHARE_CHANNELS, type EngagementAction, type ShareChannel };

/** What a batch's effective events add to one track's counters (docs/engagement.md, "Counting rules"). */
export interface TrackEngagementDelta {
  trackId: bigint;
  likes: number;
  saves: number;
  shares: Record<ShareChannel, number>;
  downloads: number;
  comments: number;
  completes: number;
  skips: number;
}

/** What a batch's effective follow/unfollow events add to one artist's followers. */
export interface ArtistEngagementDelta {
  artist: Address;
  followers: number;
}

export interface EngagementDeltas {
  /** Tracks with at least one non-zero counter, by trackId. */
  tracks: TrackEngagementDelta[];
  /** Artists whose followers changed, by address (lowercase hex). */
  artists: ArtistEngagementDelta[];
}

/**
 * The counter deltas a batch's effective engagement events make: the one function the seal step (what the batch
 * records, what the follower milestones add up) and `verify` (what the snapshot must state) both use. Every event
 * given is effective (the snapshot carries only those), so a toggle counts ±1 without looking at history; a like and
 * an unlike of one track in one batch cancel out, and an entry whose counters all net to zero is left out.
 * Playlist events change no counter. Throws `InvalidEngagementEvidenceError` for an unknown action or share channel.
 */
export function computeEngagementDeltas(events: readonly Pick<SignedEngagement, "action" | "trackId" | "artist" | "text">[]): EngagementDeltas {
  const tracks = new Map<bigint, TrackEngagementDelta>();
  const artists = new Map<Address, number>();
  const track = (trackId: bigint) => {
    let entry = tracks.get(trackId);
    if (entry === undefined) {
      entry = { trackId, likes: 0, saves: 0, shares: { link: 0, x: 0, farcaster: 0, embed: 0, other: 0 }, downloads: 0, comments: 0, completes: 0, skips: 0 };
      tracks.set(trackId, entry);
    }
    return entry;
  };
  const follow = (artist: Address, by: number) => {
    const key = lowerHex(artist);
    artists.set(key, (artists.get(key) ?? 0) + by);
  };
  for (const event of events) {
    const action = knownAction(event.action);
    if (action === "like") track(event.trackId).likes += 1;
    else if (action === "unlike") track(event.trackId).likes -= 1;
    else if (action === "save") track(event.trackId).saves += 1;
    else if (action === "unsave") track(event.trackId).saves -= 1;
    else if (action === "share") track(event.trackId).shares[shareChannel(event.text)] += 1;
    else if (action === "download") track(event.trackId).downloads += 1;
    else if (action === "comment") track(event.trackId).comments += 1;
    else if (action === "comment_delete") track(event.trackId).comments -= 1;
    else if (action === "play_complete") track(event.trackId).completes += 1;
    else if (action === "play_skip") track(event.trackId).skips += 1;
    else if (action === "follow") follow(event.artist, 1);
    else if (action === "unfollow") follow(event.artist, -1);
    // playlist_* change playlists, not counters.
  }
  return {
    tracks: [...tracks.values()].filter((entry) => !isZeroTrack(entry)).sort((a, b) => (a.trackId < b.trackId ? -1 : a.trackId > b.trackId ? 1 : 0)),
    artists: [...artists]
      .filter(([, followers]) => followers !== 0)
      .map(([artist, followers]) => ({ artist, followers }))
      .sort((a, b) => compareText(a.artist, b.artist)),
  };
}

/**
 * The canonical order of a batch's engagement events: by issuedAt (the order docs/engagement.md applies toggles in),
 * then fan, then nonce. (fan, nonce) is unique for ever, so the order is total.
 */
export function compareEngagement(a: SignedEngagement, b: SignedEngagement): number {
  if (a.issuedAt !== b.issuedAt) return a.issuedAt < b.issuedAt ? -1 : 1;
  return compareText(lowerHex(a.fan), lowerHex(b.fan)) || compareText(lowerHex(a.nonce), lowerHex(b.nonce));
}

/** The events with hex in lowercase, in canonical order. */
export function canonicalEngagement(events: readonly SignedEngagement[]): SignedEngagement[] {
  return events.map(normalizeEngagement).sort(compareEngagement);
}

export function normalizeEngagement(event: SignedEngagement): SignedEngagement {
  return {
    fan: lowerHex(event.fan),
    action: event.action,
    trackId: event.trackId,
    artist: lowerHex(event.artist),
    subject: lowerHex(event.subject),
    text: event.text,
    value: event.value,
    nonce: lowerHex(event.nonce),
    issuedAt: event.issuedAt,
    signature: lowerHex(event.signature),
  };
}

export function isEngagementAction(action: string): action is EngagementAction {
  return (ENGAGEMENT_ACTIONS as readonly string[]).includes(action);
}

function knownAction(action: string): EngagementAction {
  if (!isEngagementAction(action)) throw new InvalidEngagementEvidenceError(`unknown action ${JSON.stringify(action)}`);
  return action;
}

function shareChannel(text: string): ShareChannel {
  const channel = SHARE_CHANNELS.find((known) => known === text);
  if (channel === undefined) throw new InvalidEngagementEvidenceError(`unknown share channel ${JSON.stringify(text)}`);
  return channel;
}

function isZeroTrack(entry: TrackEngagementDelta): boolean {
  const { likes, saves, downloads, comments, completes, skips } = entry;
  return [likes, saves, downloads, comments, completes, skips, ...Object.values(entry.shares)].every((value) => value === 0);
}
