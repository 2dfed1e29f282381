/** An artist (the connected wallet, or the one in the URL): committed plays, progress to the coin launch, the coin. */
import { isAddress } from "viem";
import { useAccount } from "../components/Wallet.tsx";
import { Address, Card, Empty, Query, Stat } from "../components/ui.tsx";
import { useIndexer, useStats } from "../data/indexer.ts";
import { formatPrice } from "../lib/format.ts";
import { href } from "../router.ts";

type Creator = { address: string; plays: string; tracks: number; reportedPlays: string; coin: { address: string; symbol: string; price: string } | null };

export function ArtistPage({ address }: { address: string | undefined }) {
  const account = useAccount();
  const who = address ?? account;
  if (who === undefined) return <Empty>Connect a wallet to see your artist dashboard, or open an artist from a coin or a track.</Empty>;
  if (!isAddress(who, { strict: false })) return <Empty>“{who}” is not an address.</Empty>;
  return <ArtistView address={who.toLowerCase()} />;
}

function ArtistView({ address }: { address: string }) {
  const creator = useIndexer<Creator>(`/creators/${address}`);
  const stats = useStats();
  const threshold = stats.data === undefined ? undefined : BigInt(stats.data.launchThreshold);
  return (
    <Card title="Artist">
      <p>
        <Address value={address} />
      </p>
      <Query query={creator} what="the artist">
        {(data) => {
          const plays = BigInt(data.plays);
          const progress = threshold === undefined || threshold === 0n ? undefined : Number(plays >= threshold ? 100n : (plays * 100n) / threshold);
          return (
            <>
              <div className="stats">
                <Stat label="Tracks" value={data.tracks} />
                <Stat label="Committed plays" value={plays.toLocaleString()} />
                {data.coin === null ? null : <Stat label="Coin" value={<a href={href(`/coins/${data.coin.address}`)}>{data.coin.symbol}</a>} hint={formatPrice(BigInt(data.coin.price))} />}
              </div>
              {data.coin === null && progress !== undefined ? (
                <label className="progress">
                  Coin launch: {plays.toLocaleString()} of {threshold!.toLocaleString()} plays
                  <progress max={100} value={progress} />
                </label>
              ) : null}
            </>
          );
        }}
      </Query>
    </Card>
  );
}
