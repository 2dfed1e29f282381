/** Tracks by committed plays. (Playback, signed plays and fan actions: the listener pages build on this.) */
import { Address, Card, Query } from "../components/ui.tsx";
import { useTopTracks } from "../data/indexer.ts";

export function ListenPage() {
  const tracks = useTopTracks();
  return (
    <Card title="Tracks">
      <Query query={tracks} what="tracks" empty={(page) => page.items.length === 0}>
        {(page) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Track</th>
                  <th scope="col">Artist</th>
                  <th scope="col" className="num">Plays</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((track) => (
                  <tr key={track.id}>
                    <td>
                      #{track.id} <span className="muted small">{track.uri}</span>
                    </td>
                    <td>
                      <Address value={track.creator} to={`/artist/${track.creator}`} />
                    </td>
                    <td className="num">{BigInt(track.plays).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Query>
    </Card>
  );
}
