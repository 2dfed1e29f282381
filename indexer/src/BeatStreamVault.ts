import { ponder, type Context } from "ponder:registry";
import { artist, holderDistribution, holderShare, listener, settlement, streamSession, vaultDeposit, withdrawal } from "ponder:schema";
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

ponder.on("BeatStreamVault:HolderShareSet", async ({ event, context }) => {
  const { creator, bps, effectiveAt } = event.args;
  const now = event.block.timestamp;
  const row = await context.db.find(holderShare, { creator });
  // The share in force now: a pending lowering whose time came is the share (the vault applies it the same way).
  const current = row === null ? 0 : row.nextAt !== null && row.nextAt <= now && row.nextBps !== null ? row.nextBps : row.bps;
  // At once (a raise or the same share): effectiveAt is this block; a lowering waits one distribution period.
  const applied = BigInt(effectiveAt) <= now ? { bps: Number(bps), nextBps: null, nextAt: null } : { bps: current, nextBps: Number(bps), nextAt: BigInt(effectiveAt) };
  await context.db.insert(holderShare).values({ creator, ...applied }).onConflictDoUpdate(applied);
});

ponder.on("BeatStreamVault:HolderRevenueAccrued", async ({ event, context }) => {
  const { creator, amount, accrued } = event.args;
  // The settlement's StreamSettled credited the whole amount to the artist; this part went to the holders instead.
  await context.db.update(artist, { address: creator }).set((row) => ({ balance: row.balance - amount, earned: row.earned - amount }));
  await context.db
    .insert(holderShare)
    .values({ creator, accrued, accruedTotal: amount })
    .onConflictDoUpdate((row) => ({ accrued, accruedTotal: row.accruedTotal + amount }));
});

ponder.on("BeatStreamVault:HolderRevenueDistributed", async ({ event, context }) => {
  const { creator, coin, period, amount, caller } = event.args;
  await context.db.update(holderShare, { creator }).set((row) => ({
    accrued: row.accrued - amount,
    distributed: row.distributed + amount,
    distributions: row.distributions + 1,
    lastPeriod: BigInt(period),
  }));
  await context.db.insert(holderDistribution).values({ ...eventFields(event), creator, coin, period: BigInt(period), amount, caller });
});
