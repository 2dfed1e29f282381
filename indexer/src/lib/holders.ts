import type { Context } from "ponder:registry";
import { coinHolder } from "ponder:schema";

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

export type ChangeHolderParameters = {
  db: Context["db"];
  coin: `0x${string}`;
  holder: `0x${string}`;
  /** The new row from the current one (a fresh zero row for an address the coin has never seen); pure. */
  change: (row: HolderRow) => HolderRow;
};
export type ChangeHolderReturnType = { before: HolderRow; after: HolderRow };

/**
 * Reads and writes a holder row in one store operation (an upsert whose update is computed from the current row)
 * instead of a find and then a write: transfers and claims change two rows per event, and every store operation
 * costs the indexer as much as the arithmetic around it.
 */
export async function changeHolder({ db, coin: coinAddress, holder, change }: ChangeHolderParameters): Promise<ChangeHolderReturnType> {
  const fresh = freshHolder(coinAddress, holder);
  const inserted = change(fresh);
  let existing: { before: HolderRow; after: HolderRow } | undefined;
  await db
    .insert(coinHolder)
    .values(inserted)
    .onConflictDoUpdate((row) => {
      const before: HolderRow = {
        coin: coinAddress,
        holder,
        balance: row.balance,
        excluded: row.excluded,
        revenueSnapshot: row.revenueSnapshot,
        owed: row.owed,
        claimed: row.claimed,
      };
      const after = change(before);
      existing = { before, after };
      return { balance: after.balance, excluded: after.excluded, revenueSnapshot: after.revenueSnapshot, owed: after.owed, claimed: after.claimed };
    });
  return existing ?? { before: fresh, after: inserted };
}
