/** One coin: price and market figures, candles (1 m / 1 h / 1 d), buy and sell, recent trades, top holders. */
import { useState } from "react";
import { isAddress } from "viem";
import { CandleChart } from "../components/CandleChart.tsx";
import { useAppConfig } from "../config.ts";
import { DataTable } from "../components/DataTable.tsx";
import { TradePanel } from "../components/TradePanel.tsx";
import { Address, Card, Empty, Query, Segmented, Stat } from "../components/ui.tsx";
import { useCandles, useCoin, useCoinTrades, useHolders, type Coin } from "../data/indexer.ts";
import { formatCoins, formatPercent, formatPrice, formatUsdc, timeAgo } from "../lib/format.ts";
import { changeOf } from "../lib/market.ts";

const INTERVALS = ["1m", "1h", "1d"] as const;

export function CoinPage({ address }: { address: string }) {
  if (!isAddress(address, { strict: false })) return <Empty>“{address}” is not a coin address.</Empty>;
  return <CoinView address={address.toLowerCase()} />;
}

function CoinView({ address }: { address: string }) {
  const coin = useCoin(address);
  return (
    <Query query={coin} what="the coin">
      {(data) => (
        <div className="coin-page">
          <CoinHeader coin={data} />
          <div className="grid-2">
            <PriceChart coin={data} />
            <TradePanel coin={data} />
          </div>
          <div className="grid-2">
            <RecentTrades coin={data} />
            <TopHolders coin={data} />
          </div>
        </div>
      )}
    </Query>
  );
}

function CoinHeader({ coin }: { coin: Coin }) {
  const day = useCandles(coin.address, "1h");
  const since = Date.now() / 1000 - 25 * 3600;
  const change = day.data === undefined ? undefined : changeOf(day.data.items.filter((candle) => Number(candle.time) >= since), BigInt(coin.price));
  return (
    <section className="card coin-header" aria-label={`${coin.symbol} overview`}>
      <h1>
        {coin.symbol} <span className="muted">{coin.name}</span>
      </h1>
      <p className="small">
        coin <Address value={coin.address} /> · creator <Address value={coin.creator} to={`/artist/${coin.creator}`} />
      </p>
      <div className="stats">
        <Stat label="Price" value={<span data-testid="coin-price">{formatPrice(BigInt(coin.price))}</span>} hint={change === undefined ? "no trades in 24 h" : <span className={change >= 0 ? "up" : "down"}>{formatPercent(change)} 24 h</span>} />
        <Stat label="Market cap" value={formatUsdc(BigInt(coin.marketCap), 0)} />
        <Stat label="Volume 24 h" value={formatUsdc(BigInt(coin.volume24hUsdc))} hint={`${formatUsdc(BigInt(coin.volumeUsdc))} all time`} />
        <Stat label="Trades" value={<span data-testid="coin-trades">{coin.trades}</span>} />
        <Stat label="Holders" value={coin.holders} />
        <Stat label="Supply" value={formatCoins(BigInt(coin.totalSupply), coin.symbol, 0)} />
      </div>
    </section>
  );
}

function PriceChart({ coin }: { coin: Coin }) {
  const [interval, setInterval] = useState<(typeof INTERVALS)[number]>("1m");
  const candles = useCandles(coin.address, interval);
  return (
    <Card
      title="Price"
      actions={<Segmented role="group" label="candle interval" options={INTERVALS} value={interval} onChange={setInterval} />}
    >
      <Query query={candles} what="candles" empty={(page) => page.items.length === 0}>
        {(page) => <CandleChart candles={page.items} label={`${coin.symbol} price, ${interval} candles`} />}
      </Query>
    </Card>
  );
}

function RecentTrades({ coin }: { coin: Coin }) {
  const trades = useCoinTrades(coin.address);
  return (
    <Card title="Recent trades">
      <Query query={trades} what="trades" empty={(data) => data.trades.items.length === 0}>
        {(data) => (
          <DataTable
            columns={[
              { header: "Side", className: (trade) => (trade.isBuy ? "up" : "down"), cell: (trade) => (trade.isBuy ? "buy" : "sell") },
              { header: coin.symbol, num: true, cell: (trade) => formatCoins(BigInt(trade.coinAmount), "", 4) },
              { header: "USDC", num: true, cell: (trade) => formatUsdc(BigInt(trade.usdcAmount)) },
              { header: "Trader", cell: (trade) => <Address value={trade.trader} /> },
              { header: "When", cell: (trade) => <span title={trade.txHash}>{timeAgo(BigInt(trade.timestamp))}</span> },
            ]}
            rows={data.trades.items}
            rowKey={(trade) => trade.id}
            rowProps={(trade) => ({ "data-trader": trade.trader })}
            testId="recent-trades"
          />
        )}
      </Query>
    </Card>
  );
}

function TopHolders({ coin }: { coin: Coin }) {
  const app = useAppConfig();
  const holders = useHolders(coin.address);
  // The market and the vesting escrow hold most of a young coin's supply: say who they are.
  const knownHolder = (address: string) => {
    const name = address === app.contracts.MusicDEX.toLowerCase() ? "market (MusicDEX)" : address === coin.address ? "creator vesting" : address === coin.creator ? "creator" : undefined;
    return name === undefined ? null : <span className="muted small"> {name}</span>;
  };
  const supply = BigInt(coin.totalSupply);
  return (
    <Card title="Top holders">
      <Query query={holders} what="holders" empty={(page) => page.items.length === 0}>
        {(page) => (
          <DataTable
            columns={[
              {
                header: "Holder",
                cell: (holder) => (
                  <>
                    <Address value={holder.holder} />
                    {knownHolder(holder.holder)}
                  </>
                ),
              },
              { header: "Balance", num: true, cell: (holder) => formatCoins(BigInt(holder.balance), coin.symbol, 2) },
              { header: "Share", num: true, cell: (holder) => (supply === 0n ? "–" : formatPercent(Number((BigInt(holder.balance) * 1_000_000n) / supply) / 1_000_000).replace("+", "")) },
              { header: "Claimable", num: true, cell: (holder) => formatUsdc(BigInt(holder.claimableRevenue), 4) },
            ]}
            rows={page.items}
            rowKey={(holder) => holder.holder}
          />
        )}
      </Query>
    </Card>
  );
}
