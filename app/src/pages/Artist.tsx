/**
 * An artist (the connected wallet, or the one in the URL): the dashboard (plays, unique listeners, likes, followers
 * and revenue over 7d / 30d / 90d / 1y with growth, from the relayer's analytics API and the indexer's events),
 * milestone progress (coin launch, followers, revenue), and for the artist's own wallet: register a track, launch the
 * coin, the vesting schedule and release, the holder share and its quarterly distributions, streaming earnings and
 * their settlements, withdraw earnings.
 */
import { useState, type FormEvent } from "react";
import { isAddress, zeroAddress, type Address as Hex20 } from "viem";
import { useReadContracts } from "wagmi";
import { BeatStreamVaultAbi, CreatorCoinAbi, CreatorCoinFactoryAbi, MusicNFTAbi } from "../abis.ts";
import { DataTable, type Column } from "../components/DataTable.tsx";
import { StatsChart } from "../components/StatsChart.tsx";
import { useAccount } from "../components/Wallet.tsx";
import { Address, Card, Empty, ErrorBox, Loading, Query, Segmented, Stat, TxStatus } from "../components/ui.tsx";
import { useAppConfig } from "../config.ts";
import { useArtistEarnings, useRelayerSettings } from "../data/fan.ts";
import { useGraphql, useIndexer, useStats, type Coin } from "../data/indexer.ts";
import { RANGE_SECONDS, RANGES, useArtistStats, type Growth, type Range, type SourceCounts } from "../data/stats.ts";
import { metadataUri, useCatalog, type CatalogTrack } from "../data/tracks.ts";
import { formatAmount, formatCoins, formatPercent, formatPrice, formatTime, formatUsdc, timeAgo } from "../lib/format.ts";
import { useTransaction } from "../lib/tx.ts";
import { href } from "../router.ts";

type Creator = { address: string; plays: string; tracks: number; reportedPlays: string; followers: string; revenue: string; verified: boolean; coin: { address: string; symbol: string; price: string; marketCap: string } | null };
type HolderRevenue = {
  share: { bps: number; nextBps: number | null; nextAt: string | null; accrued: string; accruedTotal: string; distributed: string; distributions: number; lastPeriod: string | null };
  distributions: { id: string; period: string; amount: string; timestamp: string; txHash: string }[];
};
type RevenueEvents = {
  settlements: { items: { id: string; listener: string; amount: string; timestamp: string; txHash: string }[] };
  revenueDeposits: { items: { id: string; from: string; amount: string; timestamp: string }[] };
};

export function ArtistPage({ address }: { address: string | undefined }) {
  const account = useAccount();
  const who = address ?? account;
  if (who === undefined) return <Empty>Connect a wallet to see your artist dashboard, or open an artist from a coin or a track.</Empty>;
  if (!isAddress(who, { strict: false })) return <Empty>“{who}” is not an address.</Empty>;
  return <ArtistView address={who.toLowerCase() as Hex20} own={account !== undefined && account.toLowerCase() === who.toLowerCase()} />;
}

/** The creator row (GraphQL: null, not a 404, for an address with no track yet) and its coin's summary (REST). */
function useCreator(address: string) {
  const row = useGraphql<{ creator: Omit<Creator, "coin"> & { coin: string | null } | null }>(
    ["creator", address],
    `query ($address: String!) { creator(address: $address) { address plays tracks reportedPlays followers revenue verified coin } }`,
    { address },
  );
  const coinAddress = row.data?.creator?.coin ?? undefined;
  const coin = useIndexer<Coin>(coinAddress === undefined ? undefined : `/coins/${coinAddress}`);
  const found = row.data?.creator;
  const data: Creator | null | undefined =
    found === undefined ? undefined : found === null ? null : { ...found, coin: found.coin === null ? null : coin.data === undefined ? { address: found.coin, symbol: "…", price: "0", marketCap: "0" } : { address: coin.data.address, symbol: coin.data.symbol, price: coin.data.price, marketCap: coin.data.marketCap } };
  return { data, isLoading: row.isLoading, error: row.error };
}

function ArtistView({ address, own }: { address: Hex20; own: boolean }) {
  const found = useCreator(address);
  const creator = { ...found, data: found.data ?? undefined };
  const [range, setRange] = useState<Range>("30d");
  const unknown = found.data === null;
  return (
    <div className="artist">
      <Card title={own ? "Your artist dashboard" : "Artist"}>
        <p>
          <Address value={address} />
          {creator.data?.verified ? <span className="badge"> verified</span> : null}
          {creator.data?.coin === null || creator.data === undefined ? null : (
            <>
              {" "}
              · coin <a href={href(`/coins/${creator.data.coin.address}`)}>{creator.data.coin.symbol}</a> at {formatPrice(BigInt(creator.data.coin.price))}
            </>
          )}
        </p>
        {found.error ? <ErrorBox error={found.error} what="the artist" /> : null}
        {unknown ? <Empty>No track yet{own ? ": register your first below." : "."}</Empty> : null}
      </Card>
      {own ? <RegisterTrack address={address} /> : null}
      {unknown ? null : (
        <>
          <Dashboard address={address} creator={creator.data} range={range} setRange={setRange} />
          <Milestones address={address} creator={creator} />
          <CoinSection address={address} creator={creator.data} own={own} />
          <HolderShare address={address} own={own} hasCoin={creator.data?.coin != null} />
          <Streaming address={address} own={own} />
          <ArtistTracks address={address} />
        </>
      )}
    </div>
  );
}

// ------------------------------------------------------------------------------------------ dashboard

function GrowthHint({ growth, format = (value) => value.toLocaleString() }: { growth: Growth | undefined; format?: (value: number) => string }) {
  if (growth === undefined) return null;
  const text = growth.percent === null ? (growth.absolute === 0 ? "no change" : `+${format(growth.absolute)} (none before)`) : formatPercent(growth.percent / 100, 1);
  return <span className={growth.absolute > 0 ? "up" : growth.absolute < 0 ? "down" : "muted"}>{text} vs the previous period</span>;
}

/** Revenue (USDC units) in [from, to): streaming settled to the artist, and deposits into its coin other than the vault's holder distributions (counted as settlements already). */
function revenueBetween(events: RevenueEvents | undefined, vault: string, from: number, to: number): bigint {
  if (events === undefined) return 0n;
  let sum = 0n;
  for (const item of events.settlements.items) if (Number(item.timestamp) >= from && Number(item.timestamp) < to) sum += BigInt(item.amount);
  for (const item of events.revenueDeposits.items) if (item.from !== vault && Number(item.timestamp) >= from && Number(item.timestamp) < to) sum += BigInt(item.amount);
  return sum;
}

function useRevenueEvents(address: string, coin: string | undefined) {
  return useGraphql<RevenueEvents>(
    ["artist-revenue", address, coin ?? ""],
    `query ($artist: String!, $coin: String!) {
      settlements(where: { artist: $artist }, orderBy: "timestamp", orderDirection: "desc", limit: 1000) { items { id listener amount timestamp txHash } }
      revenueDeposits(where: { coin: $coin }, orderBy: "timestamp", orderDirection: "desc", limit: 1000) { items { id from amount timestamp } }
    }`,
    { artist: address, coin: (coin ?? zeroAddress).toLowerCase() },
  );
}

type SourceRow = SourceCounts[number];

/** The API sorts sources by name; the table puts the sources that ended the most plays first (ties keep the name order). */
const bySourceVolume = (sources: SourceCounts): SourceCounts => [...sources].sort((a, b) => b.completes + b.skips - (a.completes + a.skips));

const SOURCE_COLUMNS: Column<SourceRow>[] = [
  { header: "Source", cell: (row) => row.source },
  { header: "Completed plays", num: true, cell: (row) => row.completes.toLocaleString() },
  { header: "Skips", num: true, cell: (row) => row.skips.toLocaleString() },
  { header: "Completion rate", num: true, cell: (row) => (row.completes + row.skips === 0 ? "–" : formatPercent(row.completes / (row.completes + row.skips), 0).replace("+", "")) },
];

function Dashboard({ address, creator, range, setRange }: { address: string; creator: Creator | undefined; range: Range; setRange: (range: Range) => void }) {
  const app = useAppConfig();
  const stats = useArtistStats(address, range);
  const revenue = useRevenueEvents(address, creator?.coin?.address);
  const vault = app.contracts.BeatStreamVault.toLowerCase();
  const window = stats.data?.window;
  // The same window as the analytics API's when it is known (whole buckets), else the last `range` seconds.
  const to = window?.to ?? Math.floor(Date.now() / 1000);
  const from = window?.from ?? to - RANGE_SECONDS[range];
  const current = revenueBetween(revenue.data, vault, from, to);
  const previous = revenueBetween(revenue.data, vault, from - (to - from), from);
  const revenueGrowth: Growth = { previous: Number(previous), absolute: Number(current - previous), percent: previous === 0n ? null : (Number(current - previous) / Number(previous)) * 100 };
  return (
    <Card
      title="Dashboard"
      actions={<Segmented label="period" options={RANGES} value={range} onChange={setRange} />}
    >
      {stats.isLoading ? <Loading what="statistics" /> : null}
      {stats.error ? <ErrorBox error={stats.error} what="statistics" /> : null}
      {stats.data === undefined ? null : (
        <>
          <div className="stats" data-testid="artist-stats" data-range={range}>
            <Stat label={`Plays (${range})`} value={<span data-testid="stat-plays">{window?.totals.plays ?? 0}</span>} hint={<GrowthHint growth={window?.growth?.plays} />} />
            <Stat label={`Unique listeners (${range})`} value={<span data-testid="stat-listeners">{window?.totals.listeners ?? 0}</span>} hint={<GrowthHint growth={window?.growth?.listeners} />} />
            <Stat label={`Likes (${range})`} value={<span data-testid="stat-likes">{window?.totals.likes ?? 0}</span>} hint={<GrowthHint growth={window?.growth?.likes} />} />
            <Stat label={`New followers (${range})`} value={<span data-testid="stat-followers">{window?.totals.followers ?? 0}</span>} hint={<GrowthHint growth={window?.growth?.followers} />} />
            <Stat label={`Revenue (${range})`} value={<span data-testid="stat-revenue">{formatUsdc(current, 6)}</span>} hint={revenue.isLoading ? "…" : <GrowthHint growth={revenueGrowth} format={(units) => formatUsdc(BigInt(units), 2)} />} />
          </div>
          <div className="stats" data-testid="artist-totals">
            <Stat label="Plays, all time" value={<span data-testid="total-plays">{stats.data.totals.plays}</span>} hint={creator === undefined ? undefined : <span data-testid="committed-plays">{BigInt(creator.plays).toLocaleString()} committed on-chain</span>} />
            <Stat label="Listeners, all time" value={stats.data.totals.listeners} hint={`${stats.data.monthlyListeners} in the last 30 days`} />
            <Stat label="Likes" value={<span data-testid="total-likes">{stats.data.totals.likes}</span>} />
            <Stat label="Followers" value={<span data-testid="total-followers">{stats.data.totals.followers}</span>} />
            <Stat label="Comments" value={stats.data.totals.comments} />
            <Stat label="Completion rate" value={stats.data.totals.completionRate === null ? "–" : formatPercent(stats.data.totals.completionRate, 0).replace("+", "")} />
          </div>
          {window === undefined ? null : (
            <>
              <StatsChart window={window} counters={["plays", "listeners", "likes"]} label={`plays, listeners and likes per ${window.interval} over ${range}`} />
              <h3>Where plays come from ({range})</h3>
              <DataTable columns={SOURCE_COLUMNS} rows={bySourceVolume(window.sources)} rowKey={(row) => row.source} rowProps={(row) => ({ "data-source": row.source })} testId="artist-sources" empty={`No play completed or skipped over ${range}.`} />
            </>
          )}
          <p className="muted small">Statistics from the relayer's analytics API (they trail new events by a few seconds); revenue from the indexer's settlement and deposit events.</p>
        </>
      )}
    </Card>
  );
}

// ----------------------------------------------------------------------------------------- milestones

function Bar({ label, value, target, testId, unit = (amount: bigint) => amount.toLocaleString() }: { label: string; value: bigint; target: bigint; testId: string; unit?: (amount: bigint) => string }) {
  const percent = target === 0n ? 100 : Number(value >= target ? 100n : (value * 100n) / target);
  return (
    <label className="progress" data-testid={testId} data-value={value.toString()} data-target={target.toString()}>
      {label}: {unit(value)} of {unit(target)}
      <progress max={100} value={percent} />
    </label>
  );
}

/** The next multiple of `step` above `value` (the milestone the relayer reports next). */
const nextMultiple = (value: bigint, step: bigint) => (step <= 0n ? 0n : (value / step + 1n) * step);

function Milestones({ address, creator }: { address: string; creator: { data: Creator | undefined; isLoading: boolean; error: unknown } }) {
  const app = useAppConfig();
  const platform = useStats();
  const settings = useRelayerSettings();
  const stats = useArtistStats(address, "30d");
  const revenue = useRevenueEvents(address, creator.data?.coin?.address);
  const threshold = platform.data === undefined ? undefined : BigInt(platform.data.launchThreshold);
  const milestones = settings.data?.milestones ?? undefined;
  const followers = BigInt(stats.data?.totals.followers ?? 0);
  const allRevenue = revenueBetween(revenue.data, app.contracts.BeatStreamVault.toLowerCase(), 0, Number.MAX_SAFE_INTEGER);
  return (
    <Card title="Milestones">
      <Query query={creator} what="the artist's plays">
        {(data) => (
          <div className="milestones">
            {threshold === undefined ? (
              <Loading what="the launch threshold" />
            ) : data.coin === null ? (
              <Bar label="Coin launch" value={BigInt(data.plays)} target={threshold} testId="milestone-launch" unit={(amount) => `${amount.toLocaleString()} plays`} />
            ) : (
              <p className="muted small" data-testid="milestone-launch">
                Coin launched ({data.coin.symbol}) after {threshold.toLocaleString()} committed plays.
              </p>
            )}
            {milestones === undefined ? (
              settings.isLoading ? <Loading what="the relayer's milestones" /> : <p className="muted small">The relayer reports no milestones (it runs no batcher).</p>
            ) : (
              <>
                <Bar label="Next follower milestone" value={followers} target={nextMultiple(followers, BigInt(milestones.followers))} testId="milestone-followers" unit={(amount) => `${amount.toLocaleString()} follower${amount === 1n ? "" : "s"}`} />
                <Bar label="Next revenue milestone" value={allRevenue} target={nextMultiple(allRevenue, BigInt(milestones.revenue))} testId="milestone-revenue" unit={(amount) => formatUsdc(amount)} />
                <p className="muted small">
                  The relayer reports every {BigInt(milestones.plays).toLocaleString()} plays, {BigInt(milestones.followers).toLocaleString()} followers and {formatUsdc(BigInt(milestones.revenue))} of revenue on-chain
                  (updateCreatorMetrics); last reported: {BigInt(data.reportedPlays).toLocaleString()} plays, {BigInt(data.followers).toLocaleString()} followers, {formatUsdc(BigInt(data.revenue))}.
                </p>
              </>
            )}
          </div>
        )}
      </Query>
    </Card>
  );
}

// --------------------------------------------------------------------------------------- own actions

function RegisterTrack({ address }: { address: Hex20 }) {
  const app = useAppConfig();
  const tx = useTransaction();
  const [title, setTitle] = useState("");
  const [artistName, setArtistName] = useState("");
  const [audio, setAudio] = useState("");
  const [uri, setUri] = useState("");
  const [royalty, setRoyalty] = useState("5");
  const [receiver, setReceiver] = useState("");
  const royaltyBps = /^\d+(\.\d{0,2})?$/.test(royalty) ? Math.round(Number(royalty) * 100) : undefined;
  const receiverAddress = receiver.trim() === "" ? address : isAddress(receiver.trim(), { strict: false }) ? (receiver.trim() as Hex20) : undefined;
  const audioValid = audio.trim() === "" || /^https?:\/\//.test(audio.trim());
  const finalUri = uri.trim() !== "" ? uri.trim() : title.trim() === "" ? undefined : metadataUri({ title: title.trim(), artist: artistName.trim(), audio: audio.trim() });
  const valid = finalUri !== undefined && royaltyBps !== undefined && royaltyBps <= 10_000 && receiverAddress !== undefined && audioValid;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!valid) return;
    const receipt = await tx.send({ label: `Register “${title.trim() || finalUri}”`, address: app.contracts.MusicNFT, abi: MusicNFTAbi, functionName: "mintTrack", args: [finalUri, receiverAddress, BigInt(royaltyBps)] });
    if (receipt !== undefined) {
      setTitle("");
      setAudio("");
      setUri("");
    }
  };
  return (
    <Card title="Register a track">
      <form className="form-grid" onSubmit={(event) => void submit(event)}>
        <label>
          Title
          <input name="title" value={title} maxLength={200} onChange={(event) => setTitle(event.target.value)} placeholder="Night Drive" />
        </label>
        <label>
          Artist name (optional)
          <input name="artist-name" value={artistName} maxLength={200} onChange={(event) => setArtistName(event.target.value)} />
        </label>
        <label>
          Audio URL (optional, http/https)
          <input name="audio" value={audio} onChange={(event) => setAudio(event.target.value)} aria-invalid={!audioValid} placeholder="https://…/track.mp3" />
        </label>
        <label>
          Or a metadata URI of your own
          <input name="uri" value={uri} onChange={(event) => setUri(event.target.value)} placeholder="ipfs://… (replaces the fields above)" />
        </label>
        <label>
          Royalty on resales (%)
          <input name="royalty" inputMode="decimal" value={royalty} onChange={(event) => setRoyalty(event.target.value)} aria-invalid={royaltyBps === undefined || royaltyBps > 10_000} />
        </label>
        <label>
          Royalty receiver (default: you)
          <input name="receiver" value={receiver} onChange={(event) => setReceiver(event.target.value)} aria-invalid={receiverAddress === undefined} placeholder={address} />
        </label>
        <div>
          <button type="submit" className="primary" disabled={!valid || tx.state.status === "pending" || tx.state.status === "signing" || tx.state.status === "preparing"}>
            Register track (mint)
          </button>
        </div>
      </form>
      <p className="muted small">The metadata (title, artist, audio) is stored in the token URI itself as a data: URI, so it needs no hosting.</p>
      <TxStatus state={tx.state} onDismiss={tx.reset} />
    </Card>
  );
}

function CoinSection({ address, creator, own }: { address: Hex20; creator: Creator | undefined; own: boolean }) {
  if (creator === undefined) return null;
  return creator.coin === null ? <LaunchCoin creator={creator} own={own} /> : <Vesting address={address} coin={creator.coin.address as Hex20} symbol={creator.coin.symbol} own={own} />;
}

function LaunchCoin({ creator, own }: { creator: Creator; own: boolean }) {
  const app = useAppConfig();
  const platform = useStats();
  const tx = useTransaction();
  const [name, setName] = useState("");
  const [symbol, setSymbol] = useState("");
  const threshold = platform.data === undefined ? undefined : BigInt(platform.data.launchThreshold);
  const eligible = threshold !== undefined && BigInt(creator.plays) >= threshold;
  if (!own) return null;
  return (
    <Card title="Launch your coin">
      {eligible ? (
        <p>You have {BigInt(creator.plays).toLocaleString()} committed plays: you can launch your creator coin. Fans trade it on MusicDEX and share your revenue.</p>
      ) : (
        <p className="muted">Launching needs {threshold?.toLocaleString() ?? "…"} committed plays; you have {BigInt(creator.plays).toLocaleString()}.</p>
      )}
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          void tx.send({ label: `Launch ${symbol.trim()}`, address: app.contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi, functionName: "launchCoin", args: [name.trim(), symbol.trim()] });
        }}
      >
        <label>
          Coin name
          <input name="coin-name" value={name} maxLength={64} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Symbol
          <input name="coin-symbol" value={symbol} maxLength={11} onChange={(event) => setSymbol(event.target.value.toUpperCase())} />
        </label>
        <button type="submit" className="primary" disabled={!eligible || name.trim() === "" || symbol.trim() === ""}>
          Launch coin
        </button>
      </form>
      <TxStatus state={tx.state} onDismiss={tx.reset} />
    </Card>
  );
}

function Vesting({ address, coin, symbol, own }: { address: Hex20; coin: Hex20; symbol: string; own: boolean }) {
  const tx = useTransaction();
  const reads = useReadContracts({
    contracts: [
      { address: coin, abi: CreatorCoinAbi, functionName: "creatorAllocation" },
      { address: coin, abi: CreatorCoinAbi, functionName: "released" },
      { address: coin, abi: CreatorCoinAbi, functionName: "releasable" },
      { address: coin, abi: CreatorCoinAbi, functionName: "vestingDuration" },
      { address: coin, abi: CreatorCoinAbi, functionName: "launchedAt" },
      { address: coin, abi: CreatorCoinAbi, functionName: "balanceOf", args: [address] },
    ] as const,
    query: { refetchInterval: 4_000 },
  });
  const [allocation, released, releasable, duration, launchedAt, balance] = (reads.data ?? []).map((item) => item.result as bigint | undefined);
  return (
    <Card title={`Vesting: ${symbol}`}>
      {reads.isLoading ? <Loading what="the vesting schedule" /> : null}
      {allocation === undefined || released === undefined || releasable === undefined || duration === undefined || launchedAt === undefined ? null : (
        <>
          <div className="stats" data-testid="vesting">
            <Stat label="Your allocation" value={formatCoins(allocation, symbol, 2)} hint={`vests linearly over ${formatAmount(duration / 86_400n, 0, 0)} days`} />
            <Stat label="Released" value={<span data-testid="vesting-released">{formatCoins(released, symbol, 2)}</span>} />
            <Stat label="Releasable now" value={<span data-testid="vesting-releasable">{formatCoins(releasable, symbol, 2)}</span>} />
            <Stat label="Fully vested" value={formatTime(launchedAt + duration)} hint={`launched ${formatTime(launchedAt)}`} />
            {balance === undefined ? null : <Stat label="In your wallet" value={formatCoins(balance, symbol, 2)} />}
          </div>
          <label className="progress">
            Vested: {allocation === 0n ? "–" : formatPercent(Number(((released + releasable) * 10_000n) / allocation) / 10_000, 1).replace("+", "")}
            <progress max={10_000} value={allocation === 0n ? 0 : Number(((released + releasable) * 10_000n) / allocation)} />
          </label>
          {own ? (
            <button type="button" className="primary" disabled={releasable === 0n} onClick={() => void tx.send({ label: `Release ${formatCoins(releasable, symbol, 2)}`, address: coin, abi: CreatorCoinAbi, functionName: "releaseVested", context: { receive: { decimals: 18, unit: symbol } } })}>
              Release vested coins
            </button>
          ) : null}
          <TxStatus state={tx.state} onDismiss={tx.reset} />
        </>
      )}
    </Card>
  );
}

const DISTRIBUTION_COLUMNS: Column<HolderRevenue["distributions"][number]>[] = [
  { header: "Period", cell: (item) => item.period },
  { header: "Amount", num: true, cell: (item) => formatUsdc(BigInt(item.amount), 6) },
  { header: "When", cell: (item) => formatTime(BigInt(item.timestamp)) },
];

function HolderShare({ address, own, hasCoin }: { address: Hex20; own: boolean; hasCoin: boolean }) {
  const app = useAppConfig();
  const vault = app.contracts.BeatStreamVault;
  const indexed = useIndexer<HolderRevenue>(`/creators/${address}/holder-revenue?limit=20`);
  const tx = useTransaction();
  const [percent, setPercent] = useState("");
  const reads = useReadContracts({
    contracts: [
      { address: vault, abi: BeatStreamVaultAbi, functionName: "holderShareConfig", args: [address] },
      { address: vault, abi: BeatStreamVaultAbi, functionName: "holderRevenueOf", args: [address] },
      { address: vault, abi: BeatStreamVaultAbi, functionName: "nextDistributionPeriod", args: [address] },
      { address: vault, abi: BeatStreamVaultAbi, functionName: "currentDistributionPeriod" },
    ] as const,
    query: { refetchInterval: 5_000 },
  });
  const config = reads.data?.[0]?.result as readonly [number, number, bigint] | undefined;
  const accrued = reads.data?.[1]?.result as bigint | undefined;
  const nextPeriod = reads.data?.[2]?.result as bigint | undefined;
  const currentPeriod = reads.data?.[3]?.result as bigint | undefined;
  const bps = /^\d+(\.\d{0,2})?$/.test(percent) ? Math.round(Number(percent) * 100) : undefined;
  return (
    <Card title="Holder share of streaming revenue">
      <p className="muted small">A share of your streaming revenue accrues for your coin's holders and is deposited into the coin once a quarter. Lowering it takes effect after a notice period.</p>
      <div className="stats">
        <Stat label="Share in force" value={<span data-testid="holder-share">{config === undefined ? "…" : formatPercent(config[0] / 10_000, 2).replace("+", "")}</span>} hint={config !== undefined && config[2] > 0n ? `${formatPercent(config[1] / 10_000, 2).replace("+", "")} from ${formatTime(config[2])}` : undefined} />
        <Stat label="Accrued for holders" value={accrued === undefined ? "…" : formatUsdc(accrued, 6)} hint={nextPeriod !== undefined && currentPeriod !== undefined ? (nextPeriod <= currentPeriod ? "distributable now" : `next distribution in period ${nextPeriod}`) : undefined} />
        <Stat label="Distributed so far" value={indexed.data === undefined ? "…" : formatUsdc(BigInt(indexed.data.share.distributed), 6)} hint={indexed.data === undefined ? undefined : `${indexed.data.share.distributions} distribution${indexed.data.share.distributions === 1 ? "" : "s"}`} />
      </div>
      {own ? (
        <form
          className="row"
          onSubmit={(event) => {
            event.preventDefault();
            if (bps !== undefined) void tx.send({ label: `Set holder share to ${percent} %`, address: vault, abi: BeatStreamVaultAbi, functionName: "setHolderShare", args: [BigInt(bps)] });
          }}
        >
          <label>
            Holder share (%)
            <input name="holder-share" inputMode="decimal" value={percent} onChange={(event) => setPercent(event.target.value)} aria-invalid={percent !== "" && bps === undefined} placeholder="10" />
          </label>
          <button type="submit" className="primary" disabled={bps === undefined || !hasCoin} title={hasCoin ? undefined : "launch your coin first"}>
            Set share
          </button>
          <button type="button" disabled={accrued === undefined || accrued === 0n} onClick={() => void tx.send({ label: "Distribute holder revenue", address: vault, abi: BeatStreamVaultAbi, functionName: "distributeHolderRevenue", args: [address], context: { receive: { decimals: 6, unit: "USDC" } } })}>
            Distribute now
          </button>
        </form>
      ) : null}
      <TxStatus state={tx.state} onDismiss={tx.reset} />
      <Query query={indexed} what="distributions" empty={(data) => data.distributions.length === 0}>
        {(data) => <DataTable columns={DISTRIBUTION_COLUMNS} rows={data.distributions} rowKey={(item) => item.id} testId="distributions" />}
      </Query>
    </Card>
  );
}

const SETTLEMENT_COLUMNS: Column<RevenueEvents["settlements"]["items"][number]>[] = [
  { header: "Listener", cell: (item) => <Address value={item.listener} /> },
  { header: "Amount", num: true, cell: (item) => formatUsdc(BigInt(item.amount), 6) },
  { header: "When", cell: (item) => timeAgo(BigInt(item.timestamp)) },
  { header: "Transaction", cell: (item) => <code title={item.txHash}>{`${item.txHash.slice(0, 10)}…`}</code> },
];

function Streaming({ address, own }: { address: Hex20; own: boolean }) {
  const app = useAppConfig();
  const earnings = useArtistEarnings(address);
  const history = useGraphql<Pick<RevenueEvents, "settlements">>(
    ["artist-settlements", address],
    `query ($artist: String!) { settlements(where: { artist: $artist }, orderBy: "timestamp", orderDirection: "desc", limit: 20) { items { id listener amount timestamp txHash } } }`,
    { artist: address },
  );
  const tx = useTransaction();
  const withdrawable = earnings.data === undefined ? undefined : BigInt(earnings.data.withdrawable);
  return (
    <Card title="Streaming earnings">
      <Query query={earnings} what="streaming earnings">
        {(data) => (
          <div className="stats" data-testid="streaming-earnings">
            <Stat label="Settled on-chain" value={formatUsdc(BigInt(data.settled), 6)} hint={`${data.sessions} session${data.sessions === 1 ? "" : "s"} on this relayer`} />
            <Stat label="Signed, not yet settled" value={formatUsdc(BigInt(data.pending), 6)} />
            <Stat label="Withdrawable" value={<span data-testid="earnings-withdrawable">{formatUsdc(BigInt(data.withdrawable), 6)}</span>} />
          </div>
        )}
      </Query>
      {own ? (
        <button type="button" className="primary" disabled={withdrawable === undefined || withdrawable === 0n} onClick={() => void tx.send({ label: `Withdraw ${formatUsdc(withdrawable ?? 0n, 6)} of earnings`, address: app.contracts.BeatStreamVault, abi: BeatStreamVaultAbi, functionName: "withdrawEarnings", args: [address], context: { receive: { decimals: 6, unit: "USDC" } } })}>
          Withdraw earnings
        </button>
      ) : null}
      <TxStatus state={tx.state} onDismiss={tx.reset} />
      <h3>Settlements</h3>
      <Query query={history} what="settlements" empty={(data) => data.settlements.items.length === 0}>
        {(data) => <DataTable columns={SETTLEMENT_COLUMNS} rows={data.settlements.items} rowKey={(item) => item.id} testId="settlements" />}
      </Query>
    </Card>
  );
}

const TRACK_COLUMNS: Column<CatalogTrack>[] = [
  { header: "Track", cell: (track) => <a href={href(`/listen/${track.id}`)}>{track.title}</a> },
  { header: "Committed plays", num: true, cell: (track) => BigInt(track.plays).toLocaleString() },
  { header: "Royalty", num: true, cell: (track) => `${(track.royaltyBps / 100).toFixed(2)} %` },
];

function ArtistTracks({ address }: { address: string }) {
  const catalog = useCatalog({ creator: address });
  return (
    <Card title="Tracks">
      <Query query={catalog} what="tracks" empty={(page) => page.items.length === 0}>
        {() => <DataTable columns={TRACK_COLUMNS} rows={catalog.catalog} rowKey={(track) => track.id} rowProps={(track) => ({ "data-track": track.id })} testId="artist-tracks" />}
      </Query>
    </Card>
  );
}
