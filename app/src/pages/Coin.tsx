/** One coin: price and market figures, candles (1 m / 1 h / 1 d), buy and sell, recent trades, top holders. */
import { useState } from "react";
import { isAddress } from "viem";
import { CandleChart } from "../components/CandleChart.tsx";
import { useAppConfig } from "../config.ts";
import { TradePanel } from "../components/TradePanel.tsx";
import { Address, Card, Empty, Query, Stat } from "../components/ui.tsx";
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
      actions={
        <div className="segmented" role="group" aria-label="candle interval">
          {INTERVALS.map((value) => (
            <button key={value} type="button" aria-pressed={interval === value} onClick={() => setInterval(value)}>
              {value}
            </button>
          ))}
        </div>
      }
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
          <div className="table-wrap">
            <table data-testid="recent-trades">
              <thead>
                <tr>
                  <th scope="col">Side</th>
                  <th scope="col" className="num">{coin.symbol}</th>
                  <th scope="col" className="num">USDC</th>
                  <th scope="col">Trader</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {data.trades.items.map((trade) => (
                  <tr key={trade.id} data-trader={trade.trader}>
                    <td className={trade.isBuy ? "up" : "down"}>{trade.isBuy ? "buy" : "sell"}</td>
                    <td className="num">{formatCoins(BigInt(trade.coinAmount), "", 4)}</td>
                    <td className="num">{formatUsdc(BigInt(trade.usdcAmount))}</td>
                    <td>
                      <Address value={trade.trader} />
                    </td>
                    <td title={trade.txHash}>{timeAgo(BigInt(trade.timestamp))}</td>
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
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Holder</th>
                  <th scope="col" className="num">Balance</th>
                  <th scope="col" className="num">Share</th>
                  <th scope="col" className="num">Claimable</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((holder) => (
                  <tr key={holder.holder}>
                    <td>
                      <Address value={holder.holder} />
                      {knownHolder(holder.holder)}
                    </td>
                    <td className="num">{formatCoins(BigInt(holder.balance), coin.symbol, 2)}</td>
                    <td className="num">{supply === 0n ? "–" : formatPercent(Number((BigInt(holder.balance) * 1_000_000n) / supply) / 1_000_000).replace("+", "")}</td>
                    <td className="num">{formatUsdc(BigInt(holder.claimableRevenue), 4)}</td>
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
