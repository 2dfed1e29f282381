import type { Context } from "ponder:registry";
import { coinHolder } from "ponder:schema";

export type HolderRow = typeof coinHolder.$inferSelect;

/** The holder's row, or a fresh zero row (not yet written) for an address the coin has never seen. */
export async function loadHolder(db: Context["db"], coinAddress: `0x${string}`, holder: `0x${string}`): Promise<HolderRow> {
  return (
    (await db.find(coinHolder, { coin: coinAddress, holder })) ??
    { coin: coinAddress, holder, balance: 0n, excluded: false, revenueSnapshot: 0n, owed: 0n, claimed: 0n }
  );
}

export async function saveHolder(db: Context["db"], row: HolderRow): Promise<void> {
  const { balance, excluded, revenueSnapshot, owed, claimed } = row;
  await db.insert(coinHolder).values(row).onConflictDoUpdate({ balance, excluded, revenueSnapshot, owed, claimed });
}
