/**
 * The player: a real <audio> element (the track's media where its metadata names one, else a tune generated in the
 * page) whose events drive the client SDK's play tracker. The tracker signs and sends the qualifying Play once 20 s
 * were actually heard, and how the play ended (play_complete / play_skip, with source and session).
 */
import { createPlayTracker, QUALIFYING_SECONDS, type BeatStreamClient, type ItemResult, type PlaySource, type PlayTracker } from "beatstream-protocol/client";
import { useEffect, useRef, useState, type RefObject } from "react";
import { describeResult, useTrackPlays } from "../data/fan.ts";
import type { CatalogTrack } from "../data/tracks.ts";
import { toneWav } from "../lib/tone.ts";
import { href } from "../router.ts";
import { Address } from "./ui.tsx";

/** The SDK's client with every send flushed at once: a player's events should not wait for the queue's 5 s batch. */
function eager(client: BeatStreamClient): Parameters<typeof createPlayTracker>[0] {
  const now = <T,>(sent: Promise<T>): Promise<T> => {
    void client.flush();
    return sent;
  };
  return {
    now: client.now,
    timers: client.timers,
    sessionId: client.sessionId,
    sendPlay: (play) => now(client.sendPlay(play)),
    playComplete: (outcome) => now(client.playComplete(outcome)),
    playSkip: (outcome) => now(client.playSkip(outcome)),
  };
}

export function Player({ track, client, source, audioRef }: { track: CatalogTrack; client: BeatStreamClient | undefined; source: PlaySource; audioRef: RefObject<HTMLAudioElement | null> }) {
  const [src, setSrc] = useState<string>();
  const tracker = useRef<PlayTracker | undefined>(undefined);
  const [heard, setHeard] = useState(0);
  const [play, setPlay] = useState<ItemResult>();
  const [outcome, setOutcome] = useState<string>();
  const plays = useTrackPlays(track.id);

  // The media: the track's own where its metadata names it, else the generated tune (revoked when the track changes).
  useEffect(() => {
    if (track.audio !== undefined) {
      setSrc(track.audio);
      return undefined;
    }
    const url = URL.createObjectURL(toneWav(track.id));
    setSrc(url);
    return () => URL.revokeObjectURL(url);
  }, [track.id, track.audio]);

  // A new track (or leaving the page) ends the current play as a skip.
  useEffect(() => {
    setPlay(undefined);
    setOutcome(undefined);
    setHeard(0);
    return () => {
      const current = tracker.current;
      tracker.current = undefined;
      if (current !== undefined && (current.state() === "playing" || current.state() === "paused")) void current.end("skip");
    };
  }, [track.id, client]);

  useEffect(() => {
    const timer = setInterval(() => setHeard(tracker.current?.heardSeconds() ?? 0), 500);
    return () => clearInterval(timer);
  }, []);

  const onPlay = () => {
    const audio = audioRef.current;
    if (client === undefined || audio === null) return;
    const current = tracker.current;
    if (current === undefined || current.state() === "ended") {
      setPlay(undefined);
      setOutcome(undefined);
      tracker.current = createPlayTracker(eager(client), { trackId: track.id, source, onPlay: setPlay });
      tracker.current.start(audio.currentTime);
    } else current.resume();
  };
  const onPause = () => tracker.current?.pause();
  const onSeeked = () => {
    const current = tracker.current;
    const audio = audioRef.current;
    if (current !== undefined && audio !== null && (current.state() === "playing" || current.state() === "paused")) current.seek(audio.currentTime);
  };
  const finish = (how: "complete" | "skip") => {
    const current = tracker.current;
    if (current === undefined || (current.state() !== "playing" && current.state() !== "paused")) return;
    void current.end(how).then((result) => setOutcome(`${how === "complete" ? "play_complete" : "play_skip"}: ${describeResult(result.outcome)}`));
  };

  const qualified = play !== undefined || heard >= QUALIFYING_SECONDS;
  return (
    <div className="player" data-testid="player" data-track={track.id}>
      <div className="player-head">
        <div>
          <strong data-testid="now-playing">{track.title}</strong>
          <div className="muted small">
            {track.artistName === undefined ? null : `${track.artistName} · `}
            <Address value={track.creator} to={`/artist/${track.creator}`} /> · <a href={href(`/listen/${track.id}`)}>#{track.id}</a>
            {track.audio === undefined ? " · generated tune (no playable media in the metadata)" : null}
          </div>
        </div>
        <div className="player-counts small" aria-live="polite">
          plays: <strong data-testid="track-committed">{plays.data?.committed ?? "…"}</strong> committed
          {plays.data !== undefined && plays.data.pending !== "0" ? <span data-testid="track-pending"> · {plays.data.pending} waiting for the next batch</span> : null}
        </div>
      </div>
      {src === undefined ? null : (
        <audio ref={audioRef} src={src} controls preload="auto" onPlay={onPlay} onPause={onPause} onSeeked={onSeeked} onEnded={() => finish("complete")} aria-label={`audio: ${track.title}`} />
      )}
      <div className="row">
        <button type="button" onClick={() => finish("skip")} disabled={tracker.current === undefined || tracker.current.state() === "ended"}>
          Skip
        </button>
        {client === undefined ? <span className="muted small">Connect a wallet to count your plays (a signed play, no gas).</span> : null}
      </div>
      {client === undefined ? null : (
        <div className="play-progress small" data-testid="play-status" data-state={play?.status ?? (qualified ? "sending" : "listening")}>
          <label className="progress">
            {play === undefined ? `Heard ${Math.min(QUALIFYING_SECONDS, Math.floor(heard))} of the ${QUALIFYING_SECONDS} s a play needs to count` : `Play signed: ${describeResult(play)}${play.status === "accepted" ? ` (play ${play.id}); it counts on-chain with the next batch` : ""}`}
            <progress max={QUALIFYING_SECONDS} value={Math.min(QUALIFYING_SECONDS, heard)} />
          </label>
          {outcome === undefined ? null : <p className="muted" data-testid="play-outcome">{outcome}</p>}
        </div>
      )}
    </div>
  );
}
