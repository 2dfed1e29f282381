/** Every creator coin: price, 24 h change, market cap, volume, holders; each row opens its coin page. */
import { useCandles, useCoins, type Coin } from "../data/indexer.ts";
import { DataTable, type Column } from "../components/DataTable.tsx";
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

const COIN_COLUMNS: Column<Coin>[] = [
  {
    header: "Coin",
    cell: (coin) => (
      <a href={href(`/coins/${coin.address}`)}>
        <strong>{coin.symbol}</strong> <span className="muted">{coin.name}</span>
      </a>
    ),
  },
  { header: "Price", num: true, cell: (coin) => formatPrice(BigInt(coin.price)) },
  { header: "24 h", num: true, cell: (coin) => <Change coin={coin} /> },
  { header: "Market cap", num: true, cell: (coin) => formatUsdc(BigInt(coin.marketCap), 0) },
  { header: "Volume 24 h", num: true, cell: (coin) => formatUsdc(BigInt(coin.volume24hUsdc)) },
  { header: "Holders", num: true, cell: (coin) => coin.holders },
  { header: "Creator", cell: (coin) => <Address value={coin.creator} to={`/artist/${coin.creator}`} /> },
];

export function CoinsPage() {
  const coins = useCoins();
  return (
    <Card title="Creator coins">
      <Query query={coins} what="coins" empty={(page) => page.items.length === 0}>
        {(page) => <DataTable columns={COIN_COLUMNS} rows={page.items} rowKey={(coin) => coin.address} rowProps={(coin) => ({ "data-coin": coin.symbol })} caption="Creator coins by market cap" />}
      </Query>
    </Card>
  );
}
