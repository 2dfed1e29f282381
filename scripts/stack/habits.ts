/**
 * What a simulated listener does around a play, through the client SDK: how the play ends (complete, skipped late,
 * skipped in the first seconds) and from where it was started, and what the fan does next — likes (and now and then
 * takes one back), saves, shares by channel, downloads, follows the artist, keeps a playlist, leaves a comment. The
 * rates are rough figures of streaming apps (a like on a few percent of plays, far more after a complete listen than
 * after a skip; shares and comments an order of magnitude rarer), enough for statistics that look alive.
 */
import { randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import type { BeatStreamClient, ItemResult, PlaySource, ShareChannel } from "../../client/index.js";

/** Share of plays skipped in the first seconds (under the 20-second rule: the relayer rejects their Play as too_short). */
export const SHORT_PLAY_SHARE = 0.15;
/** Share of plays heard to the end; the rest are skipped somewhere after 20 s. */
export const COMPLETE_SHARE = 0.45;

const SOURCES: [PlaySource, number][] = [["playlist", 30], ["search", 20], ["radio", 20], ["profile", 15], ["share", 10], ["other", 5]];
const CHANNELS: [ShareChannel, number][] = [["link", 40], ["x", 25], ["farcaster", 15], ["embed", 10], ["other", 10]];
const COMMENTS = ["this drop 🔥", "on repeat all week", "the bridge at the end!", "underrated", "who else found this on radio?", "mood.", "need the stems"];
const PLAYLIST_NAMES = ["Late night", "Gym", "Focus", "Road trip", "Sunday", "Discoveries"];

/** Per-play chances of each action, by how the play ended. */
const RATES = {
  complete: { like: 0.2, save: 0.1, share: 0.04, download: 0.03, follow: 0.06, comment: 0.02, playlistAdd: 0.12 },
  skipped: { like: 0.03, save: 0.01, share: 0.005, download: 0, follow: 0.01, comment: 0.005, playlistAdd: 0.01 },
} as const;
/** Chance that a fan takes back a like, a save or a follow when it comes up again. */
const REGRET = 0.08;

export type EngagementTally = {
  sent: number;
  /** Accepted by the relayer: applied (it changed something) or unchanged (a repeated toggle). */
  applied: number;
  unchanged: number;
  /** Accepted per action. */
  byAction: Record<string, number>;
  rejected: Record<string, number>;
  plays: { complete: number; skip: number };
};

export function emptyTally(): EngagementTally {
  return { sent: 0, applied: 0, unchanged: 0, byAction: {}, rejected: {}, plays: { complete: 0, skip: 0 } };
}

/** A play as the simulator decided it: the track, its length, how much was heard, from where. */
export type SimulatedPlay = { trackId: bigint; artist: Address; lengthSeconds: number; heardSeconds: number; complete: boolean; source: PlaySource };

export type ListenerHabits = {
  /** Draws the next play of `trackId` (how long it runs, how it ends, where it started). */
  nextPlay(trackId: bigint, artist: Address): SimulatedPlay;
  /** Sends how the play ended and whatever the fan does after it; each answer is tallied. */
  afterPlay(play: SimulatedPlay): Promise<ItemResult>[];
};

export function createListenerHabits({ client, tally, random = Math.random }: { client: BeatStreamClient; tally: EngagementTally; random?: () => number }): ListenerHabits {
  const liked = new Set<bigint>();
  const saved = new Set<bigint>();
  const followed = new Set<Address>();
  let playlist: { id: Hex; tracks: bigint[] } | undefined;
  const chance = (p: number) => random() < p;
  const weighted = <T>(entries: [T, number][]): T => {
    let left = random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [value, weight] of entries) if ((left -= weight) < 0) return value;
    return entries[entries.length - 1]![0];
  };
  const count = (action: string, sent: Promise<ItemResult>): Promise<ItemResult> => {
    tally.sent += 1;
    return sent.then((result) => {
      if (result.status === "accepted") {
        if (result.effect === "unchanged") tally.unchanged += 1;
        else tally.applied += 1;
        tally.byAction[action] = (tally.byAction[action] ?? 0) + 1;
      } else if (result.status === "rejected") {
        tally.rejected[result.code] = (tally.rejected[result.code] ?? 0) + 1;
      }
      return result;
    });
  };
  /** A toggle: on when off; off (rarely) when on. */
  const toggle = <Key>(set: Set<Key>, key: Key, on: () => Promise<ItemResult>, off: () => Promise<ItemResult>, name: string): Promise<ItemResult> | undefined => {
    if (!set.has(key)) {
      set.add(key);
      return count(name, on());
    }
    if (!chance(REGRET)) return undefined;
    set.delete(key);
    return count(`un${name}`, off());
  };

  return {
    nextPlay(trackId, artist) {
      // A track's length is fixed by its id: 2:30 to 5:00.
      const lengthSeconds = 150 + Number((trackId * 37n) % 150n);
      const source = weighted(SOURCES);
      if (chance(SHORT_PLAY_SHARE)) return { trackId, artist, lengthSeconds, heardSeconds: 5 + Math.floor(random() * 15), complete: false, source };
      if (chance(COMPLETE_SHARE / (1 - SHORT_PLAY_SHARE))) return { trackId, artist, lengthSeconds, heardSeconds: lengthSeconds, complete: true, source };
      return { trackId, artist, lengthSeconds, heardSeconds: 20 + Math.floor(random() * (lengthSeconds - 20)), complete: false, source };
    },
    afterPlay(play) {
      const { trackId, artist, heardSeconds, source } = play;
      const sent: (Promise<ItemResult> | undefined)[] = [];
      if (play.complete) {
        tally.plays.complete += 1;
        sent.push(count("play_complete", client.playComplete({ trackId, source, secondsHeard: heardSeconds })));
      } else {
        tally.plays.skip += 1;
        sent.push(count("play_skip", client.playSkip({ trackId, source, atSecond: heardSeconds })));
      }
      const rates = play.complete ? RATES.complete : RATES.skipped;
      if (chance(rates.like)) sent.push(toggle(liked, trackId, () => client.like(trackId), () => client.unlike(trackId), "like"));
      if (chance(rates.save)) sent.push(toggle(saved, trackId, () => client.save(trackId), () => client.unsave(trackId), "save"));
      if (chance(rates.share)) {
        const channel = weighted(CHANNELS);
        sent.push(count(`share_${channel}`, client.share(trackId, channel)));
      }
      if (chance(rates.download)) sent.push(count("download", client.download(trackId)));
      if (chance(rates.follow)) sent.push(toggle(followed, artist, () => client.follow(artist), () => client.unfollow(artist), "follow"));
      if (chance(rates.comment)) {
        const text = COMMENTS[Math.floor(random() * COMMENTS.length)]!;
        sent.push(count("comment", client.comment(trackId, text, { positionSeconds: Math.floor(random() * heardSeconds) })));
      }
      if (chance(rates.playlistAdd)) {
        if (playlist === undefined) {
          // The playlist id is the client's choice, so the add can be signed at once and ride in the same batch.
          playlist = { id: `0x${randomBytes(32).toString("hex")}`, tracks: [trackId] };
          const name = PLAYLIST_NAMES[Math.floor(random() * PLAYLIST_NAMES.length)]!;
          sent.push(count("playlist_create", client.createPlaylist({ name, public: chance(0.7), playlistId: playlist.id })));
          sent.push(count("playlist_add", client.addToPlaylist(playlist.id, trackId)));
        } else if (!playlist.tracks.includes(trackId)) {
          playlist.tracks.push(trackId);
          sent.push(count("playlist_add", client.addToPlaylist(playlist.id, trackId)));
          // Now and then the fan tidies up: moves the new track to the top, or renames the list.
          if (playlist.tracks.length > 2 && chance(0.2)) sent.push(count("playlist_move", client.moveInPlaylist(playlist.id, trackId, 0)));
          else if (chance(0.05)) sent.push(count("playlist_rename", client.renamePlaylist(playlist.id, `${PLAYLIST_NAMES[Math.floor(random() * PLAYLIST_NAMES.length)]} ${playlist.tracks.length}`)));
        }
      }
      return sent.filter((promise): promise is Promise<ItemResult> => promise !== undefined);
    },
  };
}
