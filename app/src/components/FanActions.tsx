/**
 * What a fan does with a track, each a signed event sent by the client SDK (no gas): like, save, share (copies the
 * link and records a `share` on channel `link`), follow the artist, add to a playlist, and the track's comments.
 */
import type { BeatStreamClient } from "beatstream-protocol/client";
import { useState, type FormEvent, type RefObject } from "react";
import type { Hex } from "viem";
import { useComments, useFanAction, useFanFollows, useFanLikes, useFanPlaylists, useFanSaves, type FanAction } from "../data/fan.ts";
import type { CatalogTrack } from "../data/tracks.ts";
import { timeAgo } from "../lib/format.ts";
import { href } from "../router.ts";
import { Address, QueryList } from "./ui.tsx";

export function ActionResult({ action }: { action: FanAction }) {
  if (action.last === undefined) return null;
  return (
    <p className={`small ${action.last.ok ? "muted" : "error"}`} role={action.last.ok ? "status" : "alert"} data-testid="fan-action-result">
      {action.last.label}: {action.last.result}
    </p>
  );
}

export function TrackActions({ track, client, account, proof }: { track: CatalogTrack; client: BeatStreamClient | undefined; account: string | undefined; proof: string | undefined }) {
  const action = useFanAction(client);
  const likes = useFanLikes(account);
  const saves = useFanSaves(account);
  const follows = useFanFollows(account);
  const playlists = useFanPlaylists(account, proof);
  const [playlist, setPlaylist] = useState<string>("");
  const liked = likes.data?.tracks.some((item) => item.trackId === track.id) ?? false;
  const saved = saves.data?.tracks.some((item) => item.trackId === track.id) ?? false;
  const following = follows.data?.artists.some((item) => item.artist === track.creator.toLowerCase()) ?? false;
  const own = account !== undefined && account.toLowerCase() === track.creator.toLowerCase();
  const disabled = client === undefined || action.pending;

  const share = async () => {
    const link = `${location.origin}${location.pathname}${href(`/listen/${track.id}`)}`;
    await navigator.clipboard?.writeText(link).catch(() => undefined);
    await action.run("Share (link copied)", (fan) => fan.share(track.id, "link"));
  };

  return (
    <div className="fan-actions">
      <div className="row" role="group" aria-label="track actions">
        <button type="button" aria-pressed={liked} disabled={disabled} onClick={() => void action.run(liked ? "Unlike" : "Like", (fan) => (liked ? fan.unlike(track.id) : fan.like(track.id)))}>
          {liked ? "♥ Liked" : "♡ Like"}
        </button>
        <button type="button" aria-pressed={saved} disabled={disabled} onClick={() => void action.run(saved ? "Unsave" : "Save", (fan) => (saved ? fan.unsave(track.id) : fan.save(track.id)))}>
          {saved ? "Saved" : "Save"}
        </button>
        <button type="button" disabled={disabled} onClick={() => void share()}>
          Share link
        </button>
        <button
          type="button"
          aria-pressed={following}
          disabled={disabled || own}
          title={own ? "you cannot follow yourself" : undefined}
          onClick={() => void action.run(following ? "Unfollow" : "Follow", (fan) => (following ? fan.unfollow(track.creator as Hex) : fan.follow(track.creator as Hex)))}
        >
          {following ? "Following artist" : "Follow artist"}
        </button>
        <label className="small inline">
          <span className="sr-only">playlist</span>
          <select value={playlist} onChange={(event) => setPlaylist(event.target.value)} aria-label="playlist to add to" disabled={disabled}>
            <option value="">Add to playlist…</option>
            {(playlists.data?.playlists ?? []).map((item) => (
              <option key={item.id} value={item.id}>
                {item.name}
                {item.public ? "" : " (private)"}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={disabled || playlist === ""} onClick={() => void action.run("Add to playlist", (fan) => fan.addToPlaylist(playlist as Hex, track.id))}>
          Add
        </button>
      </div>
      {client === undefined ? <p className="muted small">Connect a wallet to like, save, share, follow and comment: each is a signed message, no gas.</p> : null}
      <ActionResult action={action} />
    </div>
  );
}

export function Comments({ track, client, account, audioRef }: { track: CatalogTrack; client: BeatStreamClient | undefined; account: string | undefined; audioRef: RefObject<HTMLAudioElement | null> }) {
  const comments = useComments(track.id);
  const action = useFanAction(client);
  const [text, setText] = useState("");
  const [atPosition, setAtPosition] = useState(true);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = text.trim();
    if (body === "") return;
    const position = atPosition && audioRef.current !== null ? Math.floor(audioRef.current.currentTime) : undefined;
    const result = await action.run("Comment", (fan) => fan.comment(track.id, body, position === undefined ? {} : { positionSeconds: position }));
    if (result?.status === "accepted") setText("");
  };
  return (
    <section aria-label="comments" className="comments">
      <h3>Comments</h3>
      <form className="row" onSubmit={(event) => void submit(event)}>
        <label className="grow">
          <span className="sr-only">comment</span>
          <input name="comment" value={text} maxLength={500} onChange={(event) => setText(event.target.value)} placeholder="Say something about this track" disabled={client === undefined} />
        </label>
        <label className="small inline">
          <input type="checkbox" checked={atPosition} onChange={(event) => setAtPosition(event.target.checked)} /> at the playhead
        </label>
        <button type="submit" className="primary" disabled={client === undefined || action.pending || text.trim() === ""}>
          Post
        </button>
      </form>
      <ActionResult action={action} />
      <QueryList query={comments} what="comments" items={(page) => page.comments} itemKey={(comment) => comment.id} itemProps={(comment) => ({ "data-comment": comment.id })} className="comment-list" testId="comments">
        {(comment) => (
          <>
            <p className="comment-body">{comment.body}</p>
            <p className="muted small">
              <Address value={comment.fan} />
              {comment.positionSeconds === null ? "" : ` at ${Math.floor(comment.positionSeconds / 60)}:${String(comment.positionSeconds % 60).padStart(2, "0")}`} · {timeAgo(BigInt(comment.issuedAt))}
              {account !== undefined && comment.fan === account.toLowerCase() ? (
                <button type="button" className="link" disabled={action.pending} onClick={() => void action.run("Delete comment", (fan) => fan.deleteComment(track.id, comment.id))}>
                  delete
                </button>
              ) : null}
            </p>
          </>
        )}
      </QueryList>
    </section>
  );
}
