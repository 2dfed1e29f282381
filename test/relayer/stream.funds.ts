import { expect } from "chai";
import type { Address } from "viem";
import type { Queryable } from "../../relayer/src/repo/db/database.js";
import { createListenerFundsCache } from "../../relayer/src/stream/funds.js";
import { insertSessions, listenersUnsettled, storeVouchers } from "../../relayer/src/repo/sessions.js";
import { BACKENDS } from "./core.helpers.js";

const LISTENER: Address = "0x00000000000000000000000000000000000000aa";

/** A vault whose reads wait until the test answers them, and a database holding `unsettled` for the listener. */
function harness({ ttlMs = 1_000, unsettled = 0n, random = Math.random } = {}) {
  let clock = 0;
  const reads: { resolve: (balance: bigint) => void }[] = [];
  const vault = {
    funds: (_listener: Address) =>
      new Promise<{ balance: bigint; pendingWithdrawal: bigint }>((resolve) => reads.push({ resolve: (balance) => resolve({ balance, pendingWithdrawal: 0n }) })),
  };
  const db: Queryable = {
    query: async (_sql, params = []) => ({ rows: (params[0] as string[]).map((listener) => ({ listener, unsettled: unsettled.toString() })) as never[], rowCount: 1 }),
  };
  const funds = createListenerFundsCache({ db, vault, ttlMs, minRefreshMs: 100, now: () => clock, random });
  const settle = async () => {
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  /** A reservation that must wait for read number `read` (0-based), answered with `balance`. */
  const reserveThroughRead = async (amount: bigint, read: number, balance: bigint) => {
    const reservation = funds.reserve(LISTENER, amount);
    await settle();
    expect(reads).to.have.length(read + 1);
    reads[read]!.resolve(balance);
    return reservation;
  };
  return { funds, reads, advance: (ms: number) => (clock += ms), settle, reserveThroughRead };
}

describe("relayer stream: listener funds cache", () => {
  it("makes the first voucher wait for the chain; later ones are decided from the figure, minus every reservation", async () => {
    const { funds, reads, reserveThroughRead } = harness({ unsettled: 100n });
    expect(await reserveThroughRead(300n, 0, 1_000n)).to.equal(true);
    expect(funds.available(LISTENER)).to.equal(600n);
    expect(await funds.reserve(LISTENER, 600n)).to.equal(true);
    expect(await funds.reserve(LISTENER, 1n)).to.equal(false);
    expect(reads).to.have.length(1);
  });

  it("past the TTL reads again in the background: the voucher does not wait, and the new figure counts what was reserved meanwhile", async () => {
    const { funds, reads, advance, settle, reserveThroughRead } = harness();
    expect(await reserveThroughRead(100n, 0, 1_000n)).to.equal(true);
    funds.stored(LISTENER, 100n);
    advance(1_500);
    // Decided at once on the cached 900, with a read under way.
    expect(await funds.reserve(LISTENER, 200n)).to.equal(true);
    await settle();
    expect(reads).to.have.length(2);
    expect(await funds.reserve(LISTENER, 50n)).to.equal(true);
    expect(funds.available(LISTENER)).to.equal(650n);
    // The read began before the 250 were stored: its balance predates them, its database figure (0) misses them.
    reads[1]!.resolve(1_000n - 100n);
    await settle();
    expect(funds.available(LISTENER)).to.equal(900n - 250n);
    expect(funds.fresh(LISTENER)).to.equal(true);
  });

  it("reuses each read for a random time between half the TTL and the TTL, so listeners read together do not re-read together", async () => {
    for (const [random, staleAt] of [
      [0, 500],
      [0.5, 750],
      [0.999, 999.5],
    ] as const) {
      const { funds, reads, advance, settle, reserveThroughRead } = harness({ ttlMs: 1_000, random: () => random });
      expect(await reserveThroughRead(1n, 0, 1_000n)).to.equal(true);
      advance(Math.floor(staleAt) - 1);
      expect(await funds.reserve(LISTENER, 1n)).to.equal(true);
      await settle();
      expect(reads, `random ${random}: still fresh just before ${staleAt} ms`).to.have.length(1);
      advance(Math.ceil(staleAt) - Math.floor(staleAt) + 1);
      expect(await funds.reserve(LISTENER, 1n)).to.equal(true);
      await settle();
      expect(reads, `random ${random}: re-read at ${staleAt} ms`).to.have.length(2);
    }
  });

  it("re-reads before refusing a voucher that does not fit, once the figure is older than minRefreshMs (a deposit may have landed)", async () => {
    const { funds, reads, advance, reserveThroughRead } = harness({ ttlMs: 60_000 });
    expect(await reserveThroughRead(100n, 0, 100n)).to.equal(true);
    expect(await funds.reserve(LISTENER, 50n)).to.equal(false);
    expect(reads).to.have.length(1);
    advance(200);
    // A deposit of 500 landed. The first voucher is still on its way to storage, so the read cannot see it yet and
    // takes it off again: 600 − 100 in flight, then 50 for this voucher.
    expect(await reserveThroughRead(50n, 1, 600n)).to.equal(true);
    expect(funds.available(LISTENER)).to.equal(450n);
  });

  it("listeners read together share one database statement, each getting its own figure", async () => {
    const statements: string[][] = [];
    const db: Queryable = {
      async query(_sql, params = []) {
        const listeners = params[0] as string[];
        statements.push(listeners);
        // Listener number i has i × 10 unsettled.
        return { rows: listeners.map((listener) => ({ listener, unsettled: (BigInt(Number.parseInt(listener.slice(-4), 16)) * 10n).toString() })) as never[], rowCount: listeners.length };
      },
    };
    const vault = { funds: async () => ({ balance: 10_000n, pendingWithdrawal: 0n }) };
    const funds = createListenerFundsCache({ db, vault, ttlMs: 60_000 });
    const listeners = Array.from({ length: 300 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}` as Address);
    const figures = await Promise.all(listeners.map((listener) => funds.refresh(listener)));
    expect(statements).to.have.length(1);
    expect(statements[0]).to.have.length(300);
    expect(figures).to.deep.equal(listeners.map((_, i) => 10_000n - BigInt(i + 1) * 10n));
  });
});

for (const backend of BACKENDS) {
  describe(`relayer stream: unsettled amounts by listener (${backend.name})`, function () {
    this.timeout(60_000);

    it("sums each listener's stored vouchers above what settled, in the order asked, 0 for a listener with none", async () => {
      const { db, dispose } = await backend.open();
      try {
        const [a, b, none] = ["0x00000000000000000000000000000000000000a1", "0x00000000000000000000000000000000000000B2", "0x00000000000000000000000000000000000000c3"] as Address[];
        const artist: Address = "0x00000000000000000000000000000000000000ee";
        const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
        await insertSessions(db, [
          { sessionId: id(1), listener: a!, artist, trackId: null, ratePerSecond: 1n },
          { sessionId: id(2), listener: a!, artist, trackId: null, ratePerSecond: 1n },
          { sessionId: id(3), listener: b!, artist, trackId: null, ratePerSecond: 1n },
        ]);
        const signature = `0x${"11".repeat(65)}` as const;
        await storeVouchers(db, [
          { sessionId: id(1), cumulativeAmount: 40n, deadline: 9_999_999_999n, signature },
          { sessionId: id(2), cumulativeAmount: 2n, deadline: 9_999_999_999n, signature },
          { sessionId: id(3), cumulativeAmount: 7n, deadline: 9_999_999_999n, signature },
        ]);
        await db.query(`UPDATE stream_sessions SET settled = 30 WHERE session_id = $1`, [id(1)]);
        // Mixed case and a repeat: addresses are matched case-blind, and every position gets its answer.
        expect(await listenersUnsettled(db, [b!, none!, a!.toUpperCase().replace("0X", "0x") as Address, b!.toLowerCase() as Address])).to.deep.equal([7n, 0n, 12n, 7n]);
        expect(await listenersUnsettled(db, [])).to.deep.equal([]);
      } finally {
        await dispose();
      }
    });
  });
}
