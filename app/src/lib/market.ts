/** Market arithmetic the pages share: 24 h change from candles, slippage bounds, cost basis. */
import type { Candle, Trade } from "../data/indexer.ts";

/** Change of the close over the candles (oldest first), as a ratio; undefined with fewer than one candle. */
export function changeOf(candles: readonly Candle[], currentPrice: bigint): number | undefined {
  const first = candles[0];
  if (first === undefined) return undefined;
  const open = Number(first.open);
  return open === 0 ? undefined : Number(currentPrice) / open - 1;
}

/** The least output accepted for `quoted` at `slippageBps` (basis points): minOut = quoted · (1 − slippage), rounded down. */
export function minOut(quoted: bigint, slippageBps: number): bigint {
  return (quoted * BigInt(10_000 - Math.round(slippageBps))) / 10_000n;
}

/**
 * Price impact of a trade: how far its average price is from the spot price, as a ratio (positive = worse for the
 * trader). Prices are USDC units per whole coin.
 */
export function priceImpact({ isBuy, usdc, coins, spot }: { isBuy: boolean; usdc: bigint; coins: bigint; spot: bigint }): number | undefined {
  if (coins === 0n || spot === 0n) return undefined;
  const average = Number((usdc * 10n ** 18n) / coins);
  return isBuy ? average / Number(spot) - 1 : 1 - average / Number(spot);
}

export type Position = { coin: string; held: bigint; costBasis: bigint; realized: bigint; bought: bigint; spent: bigint };

/**
 * Average-cost positions from the account's trades in time order: a buy adds its coins and the USDC paid (fee
 * included); a sell removes coins at the average cost and realizes what it got minus that cost.
 */
export function positionsFrom(trades: readonly Trade[]): Map<string, Position> {
  const positions = new Map<string, Position>();
  const ordered = [...trades].sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || a.id.localeCompare(b.id));
  for (const trade of ordered) {
    const position = positions.get(trade.coin) ?? { coin: trade.coin, held: 0n, costBasis: 0n, realized: 0n, bought: 0n, spent: 0n };
    const coins = BigInt(trade.coinAmount);
    const usdc = BigInt(trade.usdcAmount);
    if (trade.isBuy) {
      position.held += coins;
      position.costBasis += usdc;
      position.bought += coins;
      position.spent += usdc;
    } else if (position.held > 0n) {
      const sold = coins > position.held ? position.held : coins;
      const cost = (position.costBasis * sold) / position.held;
      position.realized += usdc - cost;
      position.costBasis -= cost;
      position.held -= sold;
    }
    positions.set(trade.coin, position);
  }
  return positions;
}
