import { ponder, type Context } from "ponder:registry";
import { artist, listener, settlement, streamSession, vaultDeposit, withdrawal } from "ponder:schema";
import { updatePlatform } from "./lib/platform.js";

/** The listener row of `address`, created (and counted on the platform) on its first vault event. */
async function ensureListener(db: Context["db"], address: `0x${string}`): Promise<void> {
  if ((await db.find(listener, { address })) !== null) return;
  await db.insert(listener).values({ address });
  await updatePlatform(db, (p) => ({ listeners: p.listeners + 1 }));
}

function eventFields(event: { id: string; block: { number: bigint; timestamp: bigint }; transaction: { hash: `0x${string}` } }) {
  return { id: event.id, blockNumber: event.block.number, timestamp: event.block.timestamp, txHash: event.transaction.hash };
}

ponder.on("BeatStreamVault:Deposited", async ({ event, context }) => {
  const { listener: address, amount } = event.args;
  await ensureListener(context.db, address);
  await context.db.update(listener, { address }).set((row) => ({ balance: row.balance + amount, deposited: row.deposited + amount }));
  await context.db.insert(vaultDeposit).values({ ...eventFields(event), listener: address, amount });
  await updatePlatform(context.db, (p) => ({ vaultDeposited: p.vaultDeposited + amount }));
});

ponder.on("BeatStreamVault:WithdrawalRequested", async ({ event, context }) => {
  const { listener: address, amount, availableAt } = event.args;
  await ensureListener(context.db, address);
  await context.db.update(listener, { address }).set({ pendingWithdrawal: amount, withdrawalAvailableAt: BigInt(availableAt) });
  await context.db.insert(withdrawal).values({ ...eventFields(event), kind: "requested", account: address, amount, availableAt: BigInt(availableAt) });
});

ponder.on("BeatStreamVault:WithdrawalCancelled", async ({ event, context }) => {
  const { listener: address, amount } = event.args;
  await context.db.update(listener, { address }).set({ pendingWithdrawal: 0n, withdrawalAvailableAt: 0n });
  await context.db.insert(withdrawal).values({ ...eventFields(event), kind: "cancelled", account: address, amount });
});

ponder.on("BeatStreamVault:Withdrawn", async ({ event, context }) => {
  const { listener: address, amount } = event.args;
  await context.db.update(listener, { address }).set((row) => ({
    balance: row.balance - amount,
    withdrawn: row.withdrawn + amount,
    pendingWithdrawal: 0n,
    withdrawalAvailableAt: 0n,
  }));
  await context.db.insert(withdrawal).values({ ...eventFields(event), kind: "withdrawn", account: address, to: address, amount });
  await updatePlatform(context.db, (p) => ({ vaultWithdrawn: p.vaultWithdrawn + amount }));
});

ponder.on("BeatStreamVault:EarningsWithdrawn", async ({ event, context }) => {
  const { artist: address, to, amount } = event.args;
  await context.db.update(artist, { address }).set((row) => ({ balance: row.balance - amount, withdrawn: row.withdrawn + amount }));
  await context.db.insert(withdrawal).values({ ...eventFields(event), kind: "earnings", account: address, to, amount });
  await updatePlatform(context.db, (p) => ({ earningsWithdrawn: p.earningsWithdrawn + amount }));
});

ponder.on("BeatStreamVault:StreamSettled", async ({ event, context }) => {
  const { sessionKey, listener: listenerAddress, artist: artistAddress, sessionId, amount, totalSettled } = event.args;
  await context.db.update(listener, { address: listenerAddress }).set((row) => ({ balance: row.balance - amount, spent: row.spent + amount }));
  await context.db
    .insert(artist)
    .values({ address: artistAddress, balance: amount, earned: amount })
    .onConflictDoUpdate((row) => ({ balance: row.balance + amount, earned: row.earned + amount }));
  await context.db
    .insert(streamSession)
    .values({ sessionKey, listener: listenerAddress, artist: artistAddress, sessionId, totalSettled })
    .onConflictDoUpdate({ totalSettled });
  await context.db.insert(settlement).values({ ...eventFields(event), sessionKey, listener: listenerAddress, artist: artistAddress, sessionId, amount, totalSettled });
  await updatePlatform(context.db, (p) => ({ vaultSettled: p.vaultSettled + amount }));
});

ponder.on("BeatStreamVault:Paused", async ({ context }) => {
  await updatePlatform(context.db, () => ({ vaultPaused: true }));
});

ponder.on("BeatStreamVault:Unpaused", async ({ context }) => {
  await updatePlatform(context.db, () => ({ vaultPaused: false }));
});
