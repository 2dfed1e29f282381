/**
 * The wallet's coins: balance, value at the last price, cost basis and P&L from its own trades (average cost), and
 * the revenue it can claim across all its coins, claimed in one transaction (RevenueDistributor.claim(coins[])).
 */
import type { Address as Hex20 } from "viem";
import { useReadContracts } from "wagmi";
import { RevenueDistributorAbi } from "../abis.ts";
import { useAccount } from "../components/Wallet.tsx";
import { DataTable, type Column } from "../components/DataTable.tsx";
import { Card, Empty, Query, Stat, TxStatus } from "../components/ui.tsx";
import { useAppConfig } from "../config.ts";
import { useAccountTrades, useCoins, useEarnings, type HolderEarning } from "../data/indexer.ts";
import { formatCoins, formatUsdc } from "../lib/format.ts";
import { positionsFrom } from "../lib/market.ts";
import { useTransaction } from "../lib/tx.ts";
import { href } from "../router.ts";

/** A coin the wallet holds (or can claim revenue of), with what it is worth and what it made. */
type Holding = { item: HolderEarning; value: bigint | undefined; costBasis: bigint | undefined; pnl: bigint | undefined; claimable: bigint };

const HOLDING_COLUMNS: Column<Holding>[] = [
  { header: "Coin", cell: ({ item }) => <a href={href(`/coins/${item.coin}`)}>{item.symbol}</a> },
  { header: "Balance", num: true, cell: ({ item }) => formatCoins(BigInt(item.balance), item.symbol) },
  { header: "Value", num: true, cell: ({ value }) => (value === undefined ? "–" : formatUsdc(value)) },
  { header: "Cost basis", num: true, cell: ({ costBasis }) => (costBasis === undefined ? "–" : formatUsdc(costBasis)) },
  { header: "P&L", num: true, className: ({ pnl }) => (pnl === undefined ? undefined : pnl >= 0n ? "up" : "down"), cell: ({ pnl }) => (pnl === undefined ? "–" : formatUsdc(pnl)) },
  { header: "Claimable", num: true, cell: ({ claimable }) => formatUsdc(claimable, 6) },
];

export function PortfolioPage() {
  const account = useAccount();
  if (account === undefined) return <Empty>Connect a wallet to see its coins, its P&amp;L and the revenue it can claim.</Empty>;
  return <Portfolio account={account} />;
}

function Portfolio({ account }: { account: Hex20 }) {
  const app = useAppConfig();
  const earnings = useEarnings(account);
  const coins = useCoins();
  const trades = useAccountTrades(account);
  const tx = useTransaction();
  const held = earnings.data?.items ?? [];
  // The chain's own figure at claim time: the indexer's is as of its latest block.
  const claimable = useReadContracts({
    contracts: held.map((item) => ({ address: app.contracts.RevenueDistributor, abi: RevenueDistributorAbi, functionName: "claimable", args: [item.coin as Hex20, account] }) as const),
    query: { enabled: held.length > 0, refetchInterval: 3_000 },
  });
  const claimableByCoin = new Map(held.map((item, index) => [item.coin, (claimable.data?.[index]?.result as bigint | undefined) ?? BigInt(item.claimable)]));
  const toClaim = [...claimableByCoin].filter(([, amount]) => amount > 0n);
  const totalClaimable = toClaim.reduce((sum, [, amount]) => sum + amount, 0n);
  const prices = new Map((coins.data?.items ?? []).map((coin) => [coin.address, coin]));
  const positions = positionsFrom([...(trades.data?.bought.items ?? []), ...(trades.data?.sold.items ?? [])]);

  let value = 0n;
  let cost = 0n;
  let realized = 0n;
  for (const item of held) {
    const coin = prices.get(item.coin);
    if (coin !== undefined) value += (BigInt(item.balance) * BigInt(coin.price)) / 10n ** 18n;
  }
  for (const position of positions.values()) {
    cost += position.costBasis;
    realized += position.realized;
  }

  const claimAll = () =>
    void tx.send({
      label: `Claim ${formatUsdc(totalClaimable, 6)} from ${toClaim.length} coin${toClaim.length === 1 ? "" : "s"}`,
      address: app.contracts.RevenueDistributor,
      abi: RevenueDistributorAbi,
      functionName: "claim",
      args: [toClaim.map(([coin]) => coin as Hex20)],
      context: { receive: { decimals: 6, unit: "USDC" } },
    });

  return (
    <div className="portfolio">
      <Card title="Revenue to claim">
        <div className="stats">
          <Stat label="Claimable now" value={<span data-testid="claimable-total">{formatUsdc(totalClaimable, 6)}</span>} hint={`across ${toClaim.length} coin${toClaim.length === 1 ? "" : "s"}; revenue unlocks over time`} />
          <Stat label="Claimed so far" value={formatUsdc(held.reduce((sum, item) => sum + BigInt(item.claimed), 0n), 6)} />
        </div>
        <button type="button" className="primary" onClick={claimAll} disabled={toClaim.length === 0 || tx.state.status === "pending" || tx.state.status === "signing"}>
          Claim all in one transaction
        </button>
        <TxStatus state={tx.state} onDismiss={tx.reset} />
      </Card>
      <Card title="Holdings">
        <div className="stats">
          <Stat label="Value (last prices)" value={formatUsdc(value)} />
          <Stat label="Cost basis" value={formatUsdc(cost)} hint="average cost of the coins still held" />
          <Stat label="Unrealized P&L" value={<span className={value - cost >= 0n ? "up" : "down"}>{formatUsdc(value - cost)}</span>} />
          <Stat label="Realized P&L" value={<span className={realized >= 0n ? "up" : "down"}>{formatUsdc(realized)}</span>} hint="from sells, fees included" />
        </div>
        <Query query={earnings} what="holdings" empty={(page) => page.items.filter((item) => BigInt(item.balance) > 0n).length === 0}>
          {(page) => (
            <DataTable
              columns={HOLDING_COLUMNS}
              rows={page.items
                .filter((item) => BigInt(item.balance) > 0n || (claimableByCoin.get(item.coin) ?? 0n) > 0n)
                .map((item) => {
                  const coin = prices.get(item.coin);
                  const position = positions.get(item.coin);
                  const itemValue = coin === undefined ? undefined : (BigInt(item.balance) * BigInt(coin.price)) / 10n ** 18n;
                  const pnl = itemValue === undefined || position === undefined ? undefined : itemValue - position.costBasis + position.realized;
                  return { item, value: itemValue, costBasis: position?.costBasis, pnl, claimable: claimableByCoin.get(item.coin) ?? 0n };
                })}
              rowKey={(row) => row.item.coin}
              rowProps={(row) => ({ "data-coin": row.item.symbol })}
              testId="holdings"
            />
          )}
        </Query>
      </Card>
    </div>
  );
}
