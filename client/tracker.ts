/**
 * A play tracker for one track in a player: feed it the player's events (start, pause, resume, seek, end) and it
 * sends the qualifying signed Play once 20 s have actually been heard (paused and skipped-over time does not count),
 * then, at the end, how the play ended: `play_complete` (seconds heard) or `play_skip` (the second it was skipped
 * at), with the source and the session. Time comes from the client's clock and timers, so tests need not wait.
 *
 *   const tracker = createPlayTracker(client, { trackId: 7n, source: "playlist" });
 *   audio.onplay = () => tracker.start();  audio.onpause = () => tracker.pause();
 *   audio.onseeked = () => tracker.seek(audio.currentTime);  audio.onended = () => tracker.end("complete");
 *   nextButton.onclick = () => tracker.end("skip");
 */
import type { Hex } from "viem";
import type { BeatStreamClient } from "./client.js";
import { BeatStreamClientError } from "./errors.js";
import { toTrackId, type PlaySource } from "./events.js";
import type { ItemResult } from "./queue.js";

/** The relayer's minimum for a counted play (MIN_PLAY_SECONDS). */
export const QUALIFYING_SECONDS = 20;

export type CreatePlayTrackerParameters = {
  trackId: bigint | number | string;
  source: PlaySource;
  /** Default: the client's session id. */
  sessionId?: Hex;
  /** Seconds heard before the Play is sent (default 20, the relayer's rule). */
  qualifyingSeconds?: number;
  /** The qualifying Play's answer, when it comes. */
  onPlay?: (result: ItemResult) => void;
};

export type PlayTrackerState = "idle" | "playing" | "paused" | "ended";

export type PlayTrackerOutcome = {
  /** The qualifying Play's answer; undefined when fewer than the qualifying seconds were heard (no Play is sent). */
  play?: ItemResult;
  /** The `play_complete` / `play_skip` answer. */
  outcome: ItemResult;
};

export type PlayTracker = {
  /** Playback began, at `positionSeconds` of the track (default 0). */
  start(positionSeconds?: number): void;
  pause(): void;
  resume(): void;
  /** The listener jumped to `positionSeconds`; the jump itself is not heard time. */
  seek(positionSeconds: number): void;
  /** The play is over: `complete` (it reached the end) or `skip` (the listener moved on). */
  end(how: "complete" | "skip"): Promise<PlayTrackerOutcome>;
  /** Seconds actually heard so far. */
  heardSeconds(): number;
  /** The playhead, in seconds of the track. */
  positionSeconds(): number;
  state(): PlayTrackerState;
};

export function createPlayTracker(client: Pick<BeatStreamClient, "now" | "timers" | "sessionId" | "sendPlay" | "playComplete" | "playSkip">, parameters: CreatePlayTrackerParameters): PlayTracker {
  const { source, qualifyingSeconds = QUALIFYING_SECONDS, onPlay } = parameters;
  const trackId = toTrackId(parameters.trackId, "tracker");
  const sessionId = parameters.sessionId ?? client.sessionId;
  const { now, timers } = client;

  let state: PlayTrackerState = "idle";
  let startedAtMs = 0;
  /** Heard time before the current playing stretch, and where that stretch began (clock and playhead). */
  let heardMs = 0;
  let stretchStartMs = 0;
  let positionMs = 0;
  let timer: unknown;
  let play: Promise<ItemResult> | undefined;

  const stretch = () => (state === "playing" ? Math.max(0, now() - stretchStartMs) : 0);
  const heard = () => (heardMs + stretch()) / 1000;
  const position = () => (positionMs + stretch()) / 1000;

  /** Ends the current stretch: its time is heard and moves the playhead. */
  const settleStretch = () => {
    const elapsed = stretch();
    heardMs += elapsed;
    positionMs += elapsed;
    stretchStartMs = now();
  };

  const sendPlayOnce = () => {
    if (play !== undefined || heard() < qualifyingSeconds) return;
    play = client.sendPlay({ trackId, startedAt: Math.floor(startedAtMs / 1000), durationSeconds: Math.floor(heard()) });
    if (onPlay !== undefined) void play.then(onPlay, () => undefined);
  };

  const cancelTimer = () => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };

  /** While playing and not yet qualified, wakes when the qualifying time is reached. */
  const armTimer = () => {
    cancelTimer();
    if (state !== "playing" || play !== undefined) return;
    const leftMs = Math.max(0, qualifyingSeconds * 1000 - (heardMs + stretch()));
    timer = timers.setTimeout(() => {
      timer = undefined;
      sendPlayOnce();
      armTimer();
    }, leftMs);
  };

  const expect = (allowed: PlayTrackerState[], what: string) => {
    if (!allowed.includes(state)) throw new BeatStreamClientError("tracker_state", `tracker: ${what} while ${state}`);
  };

  return {
    start(positionSeconds = 0) {
      expect(["idle"], "start");
      state = "playing";
      startedAtMs = stretchStartMs = now();
      positionMs = positionSeconds * 1000;
      armTimer();
    },
    pause() {
      if (state !== "playing") return;
      settleStretch();
      state = "paused";
      cancelTimer();
    },
    resume() {
      if (state !== "paused") return;
      state = "playing";
      stretchStartMs = now();
      armTimer();
    },
    seek(positionSeconds) {
      expect(["playing", "paused"], "seek");
      settleStretch();
      positionMs = positionSeconds * 1000;
    },
    async end(how) {
      expect(["playing", "paused"], "end");
      settleStretch();
      state = "ended";
      cancelTimer();
      // A throttled background timer may not have fired yet: a play heard long enough still counts.
      sendPlayOnce();
      const outcome =
        how === "complete"
          ? client.playComplete({ trackId, source, secondsHeard: Math.floor(heardMs / 1000), sessionId })
          : client.playSkip({ trackId, source, atSecond: Math.floor(positionMs / 1000), sessionId });
      const [playResult, outcomeResult] = await Promise.all([play, outcome]);
      return playResult === undefined ? { outcome: outcomeResult } : { play: playResult, outcome: outcomeResult };
    },
    heardSeconds: heard,
    positionSeconds: position,
    state: () => state,
  };
}
