/** The front door: platform totals from the indexer and the coins by market cap. */
import { Card, Query, QueryList, Stat } from "../components/ui.tsx";
import { useCoins, useStats } from "../data/indexer.ts";
import { formatPrice, formatUsdc } from "../lib/format.ts";
import { href } from "../router.ts";

export function HomePage() {
  const stats = useStats();
  const coins = useCoins();
  return (
    <div className="home">
      <section className="hero">
        <h1>Listen free. Back the artists you love.</h1>
        <p className="muted">Plays are signed and batched on-chain; artists launch coins; fans trade them and share their revenue.</p>
        <p>
          <a className="button primary" href={href("/coins")}>Browse coins</a> <a className="button" href={href("/listen")}>Listen</a>
        </p>
      </section>
      <Card title="BeatStream now">
        <Query query={stats} what="statistics">
          {(data) => (
            <div className="stats">
              <Stat label="Tracks" value={data.tracks.toLocaleString()} />
              <Stat label="Plays on-chain" value={BigInt(data.plays).toLocaleString()} />
              <Stat label="Batches" value={data.batches.toLocaleString()} />
              <Stat label="Coins" value={data.coins.toLocaleString()} />
              <Stat label="Trades" value={data.trades.toLocaleString()} />
              <Stat label="Volume" value={formatUsdc(BigInt(data.volumeUsdc))} />
            </div>
          )}
        </Query>
      </Card>
      <Card title="Top coins">
        <QueryList query={coins} what="coins" items={(page) => page.items.slice(0, 6)} itemKey={(coin) => coin.address} className="coin-list">
          {(coin) => (
            <>
              <a href={href(`/coins/${coin.address}`)}>
                <strong>{coin.symbol}</strong> {formatPrice(BigInt(coin.price))}
              </a>{" "}
              <span className="muted small">cap {formatUsdc(BigInt(coin.marketCap), 0)}</span>
            </>
          )}
        </QueryList>
      </Card>
    </div>
  );
}
