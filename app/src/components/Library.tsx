/**
 * The fan's own view: playlists (create, rename, public/private, reorder, remove, delete; private ones shown with the
 * owner's read-access proof), liked and saved tracks, followed artists and the listening history with how each play
 * ended. Every change is a signed event through the client SDK.
 */
import type { BeatStreamClient } from "beatstream-protocol/client";
import { useState, type FormEvent } from "react";
import type { Hex } from "viem";
import { useFanAction, useFanFollows, useFanHistory, useFanLikes, useFanPlaylists, useFanSaves, usePlaylist, type FanPlaylist, type HistoryItem } from "../data/fan.ts";
import type { CatalogTrack } from "../data/tracks.ts";
import { formatTime } from "../lib/format.ts";
import { href } from "../router.ts";
import { ActionResult } from "./FanActions.tsx";
import { DataTable, type Column } from "./DataTable.tsx";
import { Address, Card, Query, QueryList } from "./ui.tsx";

type Titles = Map<string, CatalogTrack>;
const titleOf = (titles: Titles, trackId: string) => titles.get(trackId)?.title ?? `Track #${trackId}`;

function TrackLink({ titles, trackId }: { titles: Titles; trackId: string }) {
  return <a href={href(`/listen/${trackId}`)}>{titleOf(titles, trackId)}</a>;
}

export function Library({ account, client, titles, proof, signProof, proofError }: { account: string; client: BeatStreamClient | undefined; titles: Titles; proof: string | undefined; signProof: () => Promise<void>; proofError: string | undefined }) {
  const likes = useFanLikes(account);
  const saves = useFanSaves(account);
  const follows = useFanFollows(account);
  const history = useFanHistory(account);
  return (
    <div className="library">
      <Playlists account={account} client={client} titles={titles} proof={proof} signProof={signProof} proofError={proofError} />
      <div className="grid-3">
        <Card title="Liked">
          <QueryList query={likes} what="liked tracks" items={(page) => page.tracks} itemKey={(item) => item.trackId} itemProps={(item) => ({ "data-track": item.trackId })} className="plain" testId="liked">
            {(item) => <TrackLink titles={titles} trackId={item.trackId} />}
          </QueryList>
        </Card>
        <Card title="Saved">
          <QueryList query={saves} what="saved tracks" items={(page) => page.tracks} itemKey={(item) => item.trackId} itemProps={(item) => ({ "data-track": item.trackId })} className="plain" testId="saved">
            {(item) => <TrackLink titles={titles} trackId={item.trackId} />}
          </QueryList>
        </Card>
        <Card title="Following">
          <QueryList query={follows} what="followed artists" items={(page) => page.artists} itemKey={(item) => item.artist} itemProps={(item) => ({ "data-artist": item.artist })} className="plain" testId="following">
            {(item) => <Address value={item.artist} to={`/artist/${item.artist}`} />}
          </QueryList>
        </Card>
      </div>
      <Card title="History">
        <Query query={history} what="plays" empty={(page) => page.plays.length === 0}>
          {(page) => <DataTable columns={historyColumns(titles)} rows={page.plays} rowKey={(item) => item.playId} rowProps={(item) => ({ "data-track": item.trackId })} testId="history" />}
        </Query>
      </Card>
    </div>
  );
}

const historyColumns = (titles: Titles): Column<HistoryItem>[] => [
  { header: "Track", cell: (item) => <TrackLink titles={titles} trackId={item.trackId} /> },
  { header: "Started", cell: (item) => formatTime(BigInt(item.startedAt)) },
  { header: "Heard", num: true, cell: (item) => `${item.durationSeconds} s` },
  { header: "Ended", cell: (item) => (item.outcome === null ? "–" : `${item.outcome.action === "play_complete" ? "complete" : `skipped at ${item.outcome.seconds} s`} (${item.outcome.source})`) },
];

function Playlists({ account, client, titles, proof, signProof, proofError }: { account: string; client: BeatStreamClient | undefined; titles: Titles; proof: string | undefined; signProof: () => Promise<void>; proofError: string | undefined }) {
  const playlists = useFanPlaylists(account, proof);
  const action = useFanAction(client);
  const [name, setName] = useState("");
  const [isPublic, setIsPublic] = useState(true);
  const [open, setOpen] = useState<Hex>();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    const result = await action.run(`Create playlist “${name.trim()}”`, (fan) => fan.createPlaylist({ name: name.trim(), public: isPublic }));
    if (result?.status === "accepted") setName("");
  };
  return (
    <Card
      title="Playlists"
      actions={
        proof === undefined ? (
          <button type="button" onClick={() => void signProof()} disabled={client === undefined} title="a signature that proves you own them; nothing is sent on-chain">
            Show my private playlists
          </button>
        ) : (
          <span className="muted small">private ones shown (read-access proof signed)</span>
        )
      }
    >
      {proofError === undefined ? null : <p className="error small">{proofError}</p>}
      <form className="row" onSubmit={(event) => void create(event)}>
        <label className="grow">
          <span className="sr-only">new playlist name</span>
          <input name="playlist-name" value={name} maxLength={100} onChange={(event) => setName(event.target.value)} placeholder="New playlist name" disabled={client === undefined} />
        </label>
        <label className="small inline">
          <input type="checkbox" name="playlist-public" checked={isPublic} onChange={(event) => setIsPublic(event.target.checked)} /> public
        </label>
        <button type="submit" className="primary" disabled={client === undefined || action.pending || name.trim() === ""}>
          Create
        </button>
      </form>
      <ActionResult action={action} />
      <QueryList query={playlists} what="playlists" items={(page) => page.playlists} itemKey={(item) => item.id} itemProps={(item) => ({ "data-playlist": item.name, "data-public": String(item.public) })} className="plain playlists" testId="playlists">
        {(item) => (
          <>
            <button type="button" className="link" aria-expanded={open === item.id} onClick={() => setOpen(open === item.id ? undefined : item.id)}>
              {item.name}
            </button>{" "}
            <span className="muted small">
              {item.tracks} track{item.tracks === 1 ? "" : "s"} · {item.public ? "public" : "private"}
            </span>
            {open === item.id ? <PlaylistEditor playlist={item} client={client} titles={titles} proof={proof} close={() => setOpen(undefined)} /> : null}
          </>
        )}
      </QueryList>
    </Card>
  );
}

function PlaylistEditor({ playlist, client, titles, proof, close }: { playlist: FanPlaylist; client: BeatStreamClient | undefined; titles: Titles; proof: string | undefined; close: () => void }) {
  // A private playlist is read with the owner's proof (without it the relayer answers 404, as for no playlist).
  const detail = usePlaylist(playlist.public || proof !== undefined ? playlist.id : undefined, proof);
  const action = useFanAction(client);
  const [name, setName] = useState(playlist.name);
  const disabled = client === undefined || action.pending;
  const rename = (event: FormEvent) => {
    event.preventDefault();
    void action.run("Rename playlist", (fan) => fan.renamePlaylist(playlist.id, name.trim()));
  };
  return (
    <div className="playlist-editor" data-testid="playlist-editor">
      <form className="row" onSubmit={rename}>
        <label className="grow">
          <span className="sr-only">playlist name</span>
          <input name="rename" value={name} maxLength={100} onChange={(event) => setName(event.target.value)} />
        </label>
        <button type="submit" disabled={disabled || name.trim() === "" || name.trim() === playlist.name}>
          Rename
        </button>
        <button type="button" disabled={disabled} onClick={() => {
            // Made private without the owner's proof, it leaves this list: close it rather than ask for what is hidden.
            if (playlist.public && proof === undefined) close();
            void action.run(playlist.public ? "Make private" : "Make public", (fan) => fan.setPlaylistVisibility(playlist.id, !playlist.public));
          }}>
          Make {playlist.public ? "private" : "public"}
        </button>
        <button type="button" className="danger" disabled={disabled} onClick={() => {
            // Closed first: the refetch after the delete must not ask for the playlist that is gone.
            close();
            void action.run("Delete playlist", (fan) => fan.deletePlaylist(playlist.id));
          }}>
          Delete
        </button>
      </form>
      <ActionResult action={action} />
      <QueryList query={detail} what="the playlist's tracks" items={(data) => data.tracks} itemKey={(trackId) => trackId} itemProps={(trackId) => ({ "data-track": trackId })} ordered className="playlist-tracks" testId="playlist-tracks">
        {(trackId, index, tracks) => (
          <>
            <TrackLink titles={titles} trackId={trackId} />{" "}
            <button type="button" className="link" aria-label={`move ${titleOf(titles, trackId)} up`} disabled={disabled || index === 0} onClick={() => void action.run("Move up", (fan) => fan.moveInPlaylist(playlist.id, trackId, index - 1))}>
              ↑
            </button>
            <button type="button" className="link" aria-label={`move ${titleOf(titles, trackId)} down`} disabled={disabled || index === tracks.length - 1} onClick={() => void action.run("Move down", (fan) => fan.moveInPlaylist(playlist.id, trackId, index + 1))}>
              ↓
            </button>
            <button type="button" className="link" aria-label={`remove ${titleOf(titles, trackId)}`} disabled={disabled} onClick={() => void action.run("Remove from playlist", (fan) => fan.removeFromPlaylist(playlist.id, trackId))}>
              remove
            </button>
          </>
        )}
      </QueryList>
    </div>
  );
}
