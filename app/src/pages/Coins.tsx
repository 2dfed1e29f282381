/** Every creator coin: price, 24 h change, market cap, volume, holders; each row opens its coin page. */
import { useCandles, useCoins, type Coin } from "../data/indexer.ts";
import { Address, Card, Query } from "../components/ui.tsx";
import { formatPercent, formatPrice, formatUsdc } from "../lib/format.ts";
import { changeOf } from "../lib/market.ts";
import { href } from "../router.ts";

function Change({ coin }: { coin: Coin }) {
  const candles = useCandles(coin.address, "1h");
  const dayAgo = Date.now() / 1000 - 24 * 3600;
  const change = candles.data === undefined ? undefined : changeOf(candles.data.items.filter((candle) => Number(candle.time) >= dayAgo - 3600), BigInt(coin.price));
  if (change === undefined) return <span className="muted">–</span>;
  return <span className={change > 0 ? "up" : change < 0 ? "down" : ""}>{formatPercent(change)}</span>;
}

export function CoinsPage() {
  const coins = useCoins();
  return (
    <Card title="Creator coins">
      <Query query={coins} what="coins" empty={(page) => page.items.length === 0}>
        {(page) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Creator coins by market cap</caption>
              <thead>
                <tr>
                  <th scope="col">Coin</th>
                  <th scope="col" className="num">Price</th>
                  <th scope="col" className="num">24 h</th>
                  <th scope="col" className="num">Market cap</th>
                  <th scope="col" className="num">Volume 24 h</th>
                  <th scope="col" className="num">Holders</th>
                  <th scope="col">Creator</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((coin) => (
                  <tr key={coin.address} data-coin={coin.symbol}>
                    <td>
                      <a href={href(`/coins/${coin.address}`)}>
                        <strong>{coin.symbol}</strong> <span className="muted">{coin.name}</span>
                      </a>
                    </td>
                    <td className="num">{formatPrice(BigInt(coin.price))}</td>
                    <td className="num">
                      <Change coin={coin} />
                    </td>
                    <td className="num">{formatUsdc(BigInt(coin.marketCap), 0)}</td>
                    <td className="num">{formatUsdc(BigInt(coin.volume24hUsdc))}</td>
                    <td className="num">{coin.holders}</td>
                    <td>
                      <Address value={coin.creator} to={`/artist/${coin.creator}`} />
                    </td>
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
