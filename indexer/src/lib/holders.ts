import type { Context } from "ponder:registry";
import { coinHolder } from "ponder:schema";
import { settleHolder } from "../../lib/math.js";

export type HolderRow = typeof coinHolder.$inferSelect;

/** A fresh zero row (not yet written) for an address the coin has never seen. */
function freshHolder(coinAddress: `0x${string}`, holder: `0x${string}`): HolderRow {
  return { coin: coinAddress, holder, balance: 0n, excluded: false, revenueSnapshot: 0n, owed: 0n, claimed: 0n };
}

/** The holder's row, or a fresh zero row (not yet written) for an address the coin has never seen. */
export async function loadHolder(db: Context["db"], coinAddress: `0x${string}`, holder: `0x${string}`): Promise<HolderRow> {
  return (await db.find(coinHolder, { coin: coinAddress, holder })) ?? freshHolder(coinAddress, holder);
}

export async function saveHolder(db: Context["db"], row: HolderRow): Promise<void> {
  const { balance, excluded, revenueSnapshot, owed, claimed } = row;
  await db.insert(coinHolder).values(row).onConflictDoUpdate({ balance, excluded, revenueSnapshot, owed, claimed });
}

export type HolderChange = {
  holder: `0x${string}`;
  /** The new row from the current one (a fresh zero row for an address the coin has never seen); pure. */
  change: (row: HolderRow) => HolderRow;
};
export type ChangeHoldersParameters = { db: Context["db"]; coin: `0x${string}`; changes: HolderChange[] };
export type ChangeHolderReturnType = { before: HolderRow; after: HolderRow };

/**
 * Reads and writes holder rows of one coin in one store operation (an upsert of all of them whose update is computed
 * from each current row) instead of a find and a write per row: a transfer changes two rows, and every store
 * operation costs the indexer as much as the arithmetic around it. The holders must be distinct; the answers come
 * in the order of `changes`.
 */
export async function changeHolders({ db, coin: coinAddress, changes }: ChangeHoldersParameters): Promise<ChangeHolderReturnType[]> {
  const fresh = changes.map(({ holder }) => freshHolder(coinAddress, holder));
  const inserted = changes.map(({ change }, index) => change(fresh[index]));
  const answers: ChangeHolderReturnType[] = fresh.map((before, index) => ({ before, after: inserted[index] }));
  // Stored addresses are lowercase (Ponder's hex columns); the event's may be checksummed.
  const indexOf = new Map(changes.map(({ holder }, index) => [holder.toLowerCase(), index]));
  await db
    .insert(coinHolder)
    .values(inserted)
    .onConflictDoUpdate((row) => {
      const index = indexOf.get(row.holder.toLowerCase());
      if (index === undefined) throw new Error(`changeHolders: no change for ${row.holder}`);
      const before: HolderRow = {
        coin: coinAddress,
        holder: changes[index].holder,
        balance: row.balance,
        excluded: row.excluded,
        revenueSnapshot: row.revenueSnapshot,
        owed: row.owed,
        claimed: row.claimed,
      };
      const after = changes[index].change(before);
      answers[index] = { before, after };
      return { balance: after.balance, excluded: after.excluded, revenueSnapshot: after.revenueSnapshot, owed: after.owed, claimed: after.claimed };
    });
  return answers;
}

export type ChangeHolderParameters = { db: Context["db"]; coin: `0x${string}` } & HolderChange;

/** One holder row read and written in one store operation (see changeHolders). */
export async function changeHolder({ db, coin: coinAddress, holder, change }: ChangeHolderParameters): Promise<ChangeHolderReturnType> {
  const [answer] = await changeHolders({ db, coin: coinAddress, changes: [{ holder, change }] });
  return answer;
}

/**
 * CreatorCoin._payMarket: revenue that unlocked while less than one whole coin was eligible is owed to the market
 * (the DEX's account), which collects it at its next trade. Nothing to do for zero (every realistic case).
 */
export async function payMarket(db: Context["db"], coinAddress: `0x${string}`, dex: `0x${string}`, amount: bigint): Promise<void> {
  if (amount === 0n) return;
  await changeHolder({ db, coin: coinAddress, holder: dex, change: (row) => ({ ...row, owed: row.owed + amount }) });
}

/** The coin row's fee totals that a market sync changes. */
type MarketFees = { holderFeesAccrued: bigint; holderFeesReleased: bigint; holderFeesToMarket: bigint; marketRevenue: bigint };

/**
 * The market's side of CreatorCoin.syncMarket: the DEX's account settled against `accumulator` (the state the sync
 * stored) and what it was owed, with `toMarket` (what unlocked with less than one coin eligible), paid into the
 * market's USDC reserve (Swapped then carries the reserve). The DEX pays it out of the holder fees it holds for the
 * coin first (MusicDEX._syncMarket). Returns the coin row's new totals; `fees` are the row's totals before this
 * trade's fee is added.
 */
export async function collectMarketRevenue(
  db: Context["db"],
  coinAddress: `0x${string}`,
  dex: `0x${string}`,
  { accumulator, toMarket, fees }: { accumulator: bigint; toMarket: bigint; fees: MarketFees },
): Promise<Pick<MarketFees, "holderFeesToMarket" | "marketRevenue">> {
  const { before } = await changeHolder({ db, coin: coinAddress, holder: dex, change: (row) => ({ ...settleHolder(row, accumulator), owed: 0n }) });
  const revenue = settleHolder(before, accumulator).owed + toMarket;
  const held = fees.holderFeesAccrued - fees.holderFeesReleased - fees.holderFeesToMarket;
  const kept = revenue < held ? revenue : held;
  return { holderFeesToMarket: fees.holderFeesToMarket + kept, marketRevenue: fees.marketRevenue + revenue };
}
