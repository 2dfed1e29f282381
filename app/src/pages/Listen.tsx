/**
 * The listener's page: search the catalogue (title, artist), play a track (the SDK's tracker signs the qualifying
 * play), like, save, share, follow, comment, playlists, the fan's own library, and pay-per-second streaming.
 * `#/listen/<trackId>` opens a track (the link "Share" copies).
 */
import { useRef, useState } from "react";
import { DataTable } from "../components/DataTable.tsx";
import { Comments, TrackActions } from "../components/FanActions.tsx";
import { Library } from "../components/Library.tsx";
import { Player } from "../components/Player.tsx";
import { StreamPanel } from "../components/StreamPanel.tsx";
import { useAccount } from "../components/Wallet.tsx";
import { Address, Card, Empty, Query } from "../components/ui.tsx";
import { useFanClient, useReadProof } from "../data/fan.ts";
import { searchTracks, useCatalog } from "../data/tracks.ts";
import { href, navigate } from "../router.ts";

export function ListenPage({ trackId }: { trackId: string | undefined }) {
  const account = useAccount();
  const client = useFanClient();
  const catalog = useCatalog();
  const readProof = useReadProof(account);
  const [query, setQuery] = useState("");
  // How the play began, as the tracker reports it: picked from the list, or opened from a shared link.
  const [source, setSource] = useState<"search" | "share">("share");
  const audioRef = useRef<HTMLAudioElement | null>(null);
  const titles = new Map(catalog.catalog.map((track) => [track.id, track]));
  const selected = trackId === undefined ? undefined : titles.get(trackId);
  const found = searchTracks(catalog.catalog, query);

  const play = (id: string) => {
    setSource("search");
    if (id === trackId) void audioRef.current?.play();
    else {
      navigate(`/listen/${id}`);
      // The new <audio> mounts on the next render; the click's user activation lets it start.
      setTimeout(() => void audioRef.current?.play().catch(() => undefined), 300);
    }
  };

  return (
    <div className="listen">
      {trackId === undefined ? null : selected === undefined ? (
        catalog.isLoading ? null : <Empty>Track #{trackId} is not in the catalogue (yet).</Empty>
      ) : (
        <Card title="Now playing">
          <Player track={selected} client={client} source={source} audioRef={audioRef} />
          <TrackActions track={selected} client={client} account={account} proof={readProof.proof} />
          <Comments track={selected} client={client} account={account} audioRef={audioRef} />
        </Card>
      )}
      {selected === undefined ? null : <StreamPanel track={selected} account={account} />}
      <Card title="Tracks">
        <label>
          Search by title or artist
          <input type="search" name="search" value={query} onChange={(event) => setQuery(event.target.value)} placeholder="title, artist, 0x… or #id" />
        </label>
        <Query query={catalog} what="tracks" empty={(page) => page.items.length === 0}>
          {() => (
            <DataTable
              columns={[
                {
                  header: "Track",
                  cell: (track) => (
                    <>
                      <a href={href(`/listen/${track.id}`)}>{track.title}</a>
                      {track.metadataResolved ? null : <div className="muted small">{track.uri.length > 48 ? `${track.uri.slice(0, 48)}…` : track.uri}</div>}
                    </>
                  ),
                },
                {
                  header: "Artist",
                  cell: (track) => (
                    <>
                      {track.artistName === undefined ? null : <span>{track.artistName} </span>}
                      <Address value={track.creator} to={`/artist/${track.creator}`} />
                    </>
                  ),
                },
                { header: "Plays", num: true, cell: (track) => BigInt(track.plays).toLocaleString() },
                {
                  header: <span className="sr-only">play</span>,
                  cell: (track) => (
                    <button type="button" onClick={() => play(track.id)} aria-label={`play ${track.title}`}>
                      ▶ Play
                    </button>
                  ),
                },
              ]}
              rows={found}
              rowKey={(track) => track.id}
              rowProps={(track) => ({ "data-track": track.id, "aria-current": track.id === trackId ? "true" : undefined })}
              testId="tracks"
              empty={<>No track matches “{query}”.</>}
            />
          )}
        </Query>
      </Card>
      {account === undefined ? (
        <Empty>Connect a wallet to see your playlists, likes, follows and history.</Empty>
      ) : (
        <Library account={account} client={client} titles={titles} proof={readProof.proof} signProof={readProof.sign} proofError={readProof.error} />
      )}
    </div>
  );
}
