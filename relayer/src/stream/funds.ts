import type { Address } from "viem";
import type { Queryable } from "../repo/db/database.js";
import { createGroupCommit } from "./group-commit.js";
import { listenersUnsettled } from "../repo/sessions.js";
import type { VaultReader } from "../chain/vault.js";

export type ListenerFundsCache = {
  /**
   * Takes `amount` out of the listener's spendable funds for a voucher about to be stored; false when they do not
   * cover it (after one fresh read, if the cached figure is older than `minRefreshMs`). Throws `ChainReadError`
   * when the chain cannot be read and nothing is cached.
   */
  reserve(listener: Address, amount: bigint): Promise<boolean>;
  /** Gives back a reservation whose voucher was not stored. */
  release(listener: Address, amount: bigint): void;
  /** Marks a reservation's voucher as stored (the database now counts it). */
  stored(listener: Address, amount: bigint): void;
  /** The cached spendable amount (undefined when never read). */
  available(listener: Address): bigint | undefined;
  /** Whether the cached figure is younger than `minRefreshMs` (a decision on it is not worth a re-read). */
  fresh(listener: Address): boolean;
  /** Reads the chain and the database again (one read in flight per listener). */
  refresh(listener: Address): Promise<bigint>;
  /** Forgets listeners with no live session. */
  forget(listener: Address): void;
};

export type CreateListenerFundsCacheParameters = {
  db: Queryable;
  vault: Pick<VaultReader, "funds">;
  /** Reuse a read for at most this long. */
  ttlMs: number;
  /** Never re-read sooner than this to rescue a voucher that does not fit. */
  minRefreshMs?: number;
  now?: () => number;
  /** In [0, 1): spreads each figure's lifetime over [ttlMs / 2, ttlMs). */
  random?: () => number;
};

type Entry = {
  available: bigint;
  fetchedAt: number;
  /** When the figure goes stale: between half the TTL and the TTL after the read (see `staleAfter`). */
  staleAt: number;
  /** Every amount ever reserved (minus releases): its growth during a read is what the read cannot have seen. */
  reserved: bigint;
  /** Reserved, not yet known to be stored: a read that starts now may miss them in the database. */
  inFlight: bigint;
  reading?: Promise<bigint> | undefined;
};

/**
 * What a listener can still spend: its vault balance, minus any pending withdrawal (a listener on the way out is not
 * streaming), minus every stored voucher the vault has not paid yet. The chain is read at most once per `ttlMs` (jittered down to half of it),
 * in the background once a figure exists; in between, each acknowledged voucher is subtracted here as it is
 * reserved, so the figure stays exact without a read per voucher.
 *
 * The database is read before the chain: a settlement landing between the two reads then shows as still unsettled
 * while the balance already dropped, which understates what is left — the safe side. Vouchers reserved while a
 * read is in flight are subtracted again from its result, for the same reason.
 */
export function createListenerFundsCache({ db, vault, ttlMs, minRefreshMs = 1_000, now = Date.now, random = Math.random }: CreateListenerFundsCacheParameters): ListenerFundsCache {
  const entries = new Map<string, Entry>();
  // Listeners read together (they opened together, so their figures go stale together) share one statement: one
  // query each queued ahead of the voucher writes on a single-connection store held those writes back for seconds.
  const unsettledReads = createGroupCommit<Address, bigint>({ write: (listeners) => listenersUnsettled(db, listeners), maxItems: 1_000 });
  const keyOf = (listener: Address) => listener.toLowerCase();
  // Listeners who start together (a client app's launch, a relayer restart) would all go stale in the same instant
  // and re-read the chain at once: 500 of them held voucher acks back by a tenth of a second. Each read is reused
  // for a random time between half the TTL and the TTL, so the re-reads spread out and none is older than the TTL.
  const staleAfter = () => ttlMs * (0.5 + random() / 2);

  const refresh = (listener: Address): Promise<bigint> => {
    const key = keyOf(listener);
    const entry = entries.get(key) ?? { available: 0n, fetchedAt: Number.NEGATIVE_INFINITY, staleAt: Number.NEGATIVE_INFINITY, reserved: 0n, inFlight: 0n };
    entries.set(key, entry);
    if (entry.reading !== undefined) return entry.reading;
    const reservedBefore = entry.reserved;
    const inFlightBefore = entry.inFlight;
    const reading = (async () => {
      try {
        const unsettled = await unsettledReads.submit(listener);
        const funds = await vault.funds(listener);
        const available = funds.balance - funds.pendingWithdrawal - unsettled - inFlightBefore - (entry.reserved - reservedBefore);
        entry.available = available > 0n ? available : 0n;
        entry.fetchedAt = now();
        entry.staleAt = entry.fetchedAt + staleAfter();
        return entry.available;
      } finally {
        entry.reading = undefined;
      }
    })();
    entry.reading = reading;
    return reading;
  };

  const take = (entry: Entry, amount: bigint) => {
    if (entry.available < amount) return false;
    entry.available -= amount;
    entry.reserved += amount;
    entry.inFlight += amount;
    return true;
  };

  return {
    async reserve(listener, amount) {
      const key = keyOf(listener);
      let entry = entries.get(key);
      if (entry === undefined || entry.fetchedAt === Number.NEGATIVE_INFINITY) {
        // Never read: nothing to decide on, so this voucher waits for the chain.
        await refresh(listener);
        entry = entries.get(key);
      } else if (now() >= entry.staleAt) {
        // Stale: read again in the background and decide on the cached figure, which every reservation since the
        // last read has kept exact; the read subtracts what is reserved meanwhile. A voucher never waits on the
        // RPC this way, and a failing RPC leaves the last figure in use (a voucher that does not fit still gets
        // a fresh read below).
        void refresh(listener).catch(() => undefined);
      }
      if (entry === undefined) return false;
      if (take(entry, amount)) return true;
      if (now() - entry.fetchedAt < minRefreshMs) return false;
      // A deposit since the last read may cover it.
      await refresh(listener).catch(() => undefined);
      return take(entry, amount);
    },
    release(listener, amount) {
      const entry = entries.get(keyOf(listener));
      if (entry === undefined) return;
      entry.available += amount;
      entry.reserved -= amount;
      entry.inFlight -= amount;
    },
    stored(listener, amount) {
      const entry = entries.get(keyOf(listener));
      if (entry !== undefined) entry.inFlight -= amount;
    },
    available: (listener) => {
      const entry = entries.get(keyOf(listener));
      return entry === undefined || entry.fetchedAt === Number.NEGATIVE_INFINITY ? undefined : entry.available;
    },
    fresh: (listener) => {
      const entry = entries.get(keyOf(listener));
      return entry !== undefined && now() - entry.fetchedAt < minRefreshMs;
    },
    refresh,
    forget: (listener) => {
      entries.delete(keyOf(listener));
    },
  };
}
