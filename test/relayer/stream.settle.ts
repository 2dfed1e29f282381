import { expect } from "chai";
import type { Address, Hex } from "viem";
import type { Database } from "../../relayer/src/db/database.js";
import { ChainRevertError } from "../../relayer/src/chain/errors.js";
import { createSettlementScheduler, runSettlementCycle, type SettlementContext } from "../../relayer/src/pipeline/settlements.js";
import { insertSessions, storeVouchers } from "../../relayer/src/stream/store.js";
import type { SignedVoucher, VaultWriter } from "../../relayer/src/stream/vault.js";
import { BACKENDS } from "./core.helpers.js";

const LISTENER: Address = "0x00000000000000000000000000000000000000a1";
const ARTISTS: Address[] = ["0x00000000000000000000000000000000000000e2", "0x00000000000000000000000000000000000000e1"];
const SIGNATURE = `0x${"11".repeat(65)}` as const;
const sessionId = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

/**
 * A vault writer that mines every settle at once and reports each voucher's amount as settled: the cycle's own
 * bookkeeping (seal, record, mark settled, pacing) runs against a real database.
 */
function instantVault() {
  const sent: { at: number; vouchers: readonly SignedVoucher[] }[] = [];
  const byHash = new Map<Hex, readonly SignedVoucher[]>();
  const writer: VaultWriter = {
    account: "0x00000000000000000000000000000000000000f0",
    async settle({ vouchers }) {
      const hash = `0x${(sent.length + 1).toString(16).padStart(64, "0")}` as Hex;
      sent.push({ at: performance.now(), vouchers });
      byHash.set(hash, vouchers);
      return { hash, nonce: sent.length };
    },
    transactionState: async (current) => ({ kind: "mined", receipt: { status: "success", blockNumber: 1n, hash: current.hash, gasUsed: 21_000n, logs: [] } }),
    waitForReceipt: async (hash) => ({ status: "success", blockNumber: 1n, hash, gasUsed: 21_000n, logs: [] }),
    settledTotals(receipt) {
      return { totals: new Map((byHash.get(receipt.hash) ?? []).map((voucher) => [voucher.sessionId, voucher.cumulativeAmount])), gasUsed: receipt.gasUsed };
    },
    settledAmount: async () => 0n,
  };
  return { writer, sent };
}

/** `count` sessions, alternating between two artists, each with a stored voucher of 10 × its number. */
async function seedSessions(db: Database, count: number) {
  const ids = Array.from({ length: count }, (_, index) => sessionId(index + 1));
  await insertSessions(
    db,
    ids.map((id, index) => ({ sessionId: id, listener: LISTENER, artist: ARTISTS[index % 2]!, trackId: null, ratePerSecond: 1n })),
  );
  await storeVouchers(
    db,
    ids.map((id, index) => ({ sessionId: id, cumulativeAmount: BigInt(10 * (index + 1)), deadline: 9_999_999_999n, signature: SIGNATURE })),
  );
  return ids;
}

for (const backend of BACKENDS) {
  describe(`relayer stream: settlement cycle (${backend.name})`, function () {
    this.timeout(60_000);

    const withDatabase = async (run: (db: Database) => Promise<void>) => {
      const { db, dispose } = await backend.open();
      try {
        await run(db);
      } finally {
        await dispose();
      }
    };

    it("seals every waiting session once, sorted by artist, and records what the vault settled and paid", async () => {
      await withDatabase(async (db) => {
        const ids = await seedSessions(db, 7);
        const { writer, sent } = instantVault();
        const ctx: SettlementContext = { db, writer, maxVouchers: 3, deadlineMarginSeconds: 60 };
        const result = await runSettlementCycle({ ctx });
        expect(result.failed).to.deep.equal([]);
        expect(result.settled).to.have.length(3);
        // Every session exactly once; within a settlement by artist, then session id.
        expect(sent.flatMap((call) => call.vouchers.map((voucher) => voucher.sessionId)).sort()).to.deep.equal(ids);
        for (const { vouchers } of sent) {
          const order = vouchers.map((voucher) => `${voucher.artist}:${voucher.sessionId}`);
          expect(order).to.deep.equal([...order].sort());
        }
        expect(sent[0]!.vouchers.map((voucher) => voucher.artist)).to.deep.equal([ARTISTS[1], ARTISTS[1], ARTISTS[1]]);
        const { rows: sessions } = await db.query<{ settled: string; settling_id: string | null; unsettled: boolean }>(
          `SELECT settled::text, settling_id::text, unsettled FROM stream_sessions ORDER BY session_id`,
        );
        expect(sessions.map((row) => row.settled)).to.deep.equal(ids.map((_, index) => String(10 * (index + 1))));
        expect(sessions.every((row) => row.settling_id === null && row.unsettled === false)).to.equal(true);
        const { rows: settlements } = await db.query<{ status: string; paid: string; voucher_count: number }>(
          `SELECT status, paid::text, voucher_count FROM stream_settlements ORDER BY id`,
        );
        expect(settlements.map((row) => row.status)).to.deep.equal(["settled", "settled", "settled"]);
        expect(settlements.map((row) => row.voucher_count)).to.deep.equal([3, 3, 1]);
        expect(settlements.reduce((sum, row) => sum + BigInt(row.paid), 0n)).to.equal(10n * (1n + 2n + 3n + 4n + 5n + 6n + 7n));
        // Nothing left: a second cycle makes no settlement.
        expect((await runSettlementCycle({ ctx })).settled).to.deep.equal([]);
      });
    });

    it("spreads a timed cycle's settlements evenly over the time given; without it they run back to back", async () => {
      await withDatabase(async (db) => {
        await seedSessions(db, 8);
        const { writer, sent } = instantVault();
        const ctx: SettlementContext = { db, writer, maxVouchers: 2, deadlineMarginSeconds: 60 };
        // 8 sessions, 2 per settlement: 4 settlements over 800 ms, one every 200 ms.
        expect((await runSettlementCycle({ ctx, spreadOverMs: 800 })).settled).to.have.length(4);
        const gaps = sent.slice(1).map((call, index) => call.at - sent[index]!.at);
        for (const gap of gaps) expect(gap).to.be.at.least(195);

        await db.query(`UPDATE stream_sessions SET cumulative = cumulative + 1`);
        sent.length = 0;
        expect((await runSettlementCycle({ ctx })).settled).to.have.length(4);
        const flat = sent.slice(1).map((call, index) => call.at - sent[index]!.at);
        expect(Math.max(...flat)).to.be.below(195);
      });
    });

    it("a flush queued behind a paced cycle makes it stop pausing, and stop does not wait out a pause", async () => {
      await withDatabase(async (db) => {
        await seedSessions(db, 8);
        if (db.kind === "pglite") {
          const { rows } = await db.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE relname = 'stream_sessions'`);
          expect(Number(rows[0]?.reltuples)).to.equal(-1);
        }
        const { writer, sent } = instantVault();
        // An hour's interval: the paced cycle would spread its 4 settlements over a minute, 15 s apart.
        const scheduler = createSettlementScheduler({
          ctx: { db, writer, maxVouchers: 2, deadlineMarginSeconds: 60 },
          intervalMs: 3_600_000,
          onCloseDelayMs: 0,
          abandonedAfterSeconds: 3_600,
        });
        scheduler.trigger();
        const started = performance.now();
        while (sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
        const flushed = await scheduler.runCycle();
        expect(performance.now() - started).to.be.below(10_000);
        // The embedded store has no autovacuum: the cycle gave its planner statistics (reltuples is -1 before).
        if (db.kind === "pglite") {
          const { rows } = await db.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE relname = 'stream_sessions'`);
          expect(Number(rows[0]?.reltuples)).to.equal(8);
        }
        expect(sent).to.have.length(4);
        expect(flushed.failed).to.deep.equal([]);

        // A new paced cycle in its first pause: stop returns without waiting 15 s.
        await db.query(`UPDATE stream_sessions SET cumulative = cumulative + 1`);
        scheduler.trigger();
        while (sent.length === 4) await new Promise((resolve) => setTimeout(resolve, 10));
        const stopping = performance.now();
        await scheduler.stop();
        expect(performance.now() - stopping).to.be.below(5_000);
        expect(sent).to.have.length(5);
      });
    });
  
    it("a voucher the vault refuses by name fails its settlement, stays out until a newer voucher, and the others settle next", async () => {
      await withDatabase(async (db) => {
        const ids = await seedSessions(db, 3);
        const { writer, sent } = instantVault();
        const settle = writer.settle.bind(writer);
        let refuse = true;
        // The vault refuses the first voucher of the first call by its index (an expired deadline, say), as settle would.
        writer.settle = async (args) => {
          if (!refuse) return settle(args);
          refuse = false;
          throw new ChainRevertError("settle", "BeatStreamVaultVoucherExpired", [0n]);
        };
        const ctx: SettlementContext = { db, writer, maxVouchers: 3, deadlineMarginSeconds: 60 };
        const first = await runSettlementCycle({ ctx, maxSettlements: 1 });
        expect(first.failed).to.have.length(1);
        const { rows: failed } = await db.query<{ status: string; last_error: string }>(`SELECT status, last_error FROM stream_settlements`);
        expect(failed[0]!.status).to.equal("failed");
        expect(failed[0]!.last_error).to.match(/BeatStreamVaultVoucherExpired/);

        // The refused voucher (sorted by artist: artist …e1's session 2 comes first, then …e2's 1 and 3) is out of
        // circulation; the other two are free for the next seal, which settles just them.
        const refused = ids[1]!;
        const second = await runSettlementCycle({ ctx });
        expect(second.failed).to.deep.equal([]);
        expect(sent.flatMap((call) => call.vouchers.map((voucher) => voucher.sessionId)).sort()).to.deep.equal([ids[0], ids[2]]);
        const { rows: sessions } = await db.query<{ session_id: string; settled: string; unsettled: boolean; settling_id: string | null }>(
          `SELECT session_id, settled::text, unsettled, settling_id::text FROM stream_sessions ORDER BY session_id`,
        );
        expect(sessions.map((row) => [row.session_id === refused ? "refused" : "paid", row.settled, row.unsettled, row.settling_id])).to.deep.equal([
          ["paid", "10", false, null],
          ["refused", "0", false, null],
          ["paid", "30", false, null],
        ]);

        // A newer voucher of the refused session is picked up again.
        await storeVouchers(db, [{ sessionId: refused, cumulativeAmount: 25n, deadline: 9_999_999_999n, signature: SIGNATURE }]);
        const third = await runSettlementCycle({ ctx });
        expect(third.settled).to.have.length(1);
        expect(sent.at(-1)!.vouchers.map((voucher) => [voucher.sessionId, voucher.cumulativeAmount])).to.deep.equal([[refused, 25n]]);
      });
    });

    it("a payee the vault refuses as no creator takes every voucher to it out of that settlement, and the others settle next", async () => {
      await withDatabase(async (db) => {
        const ids = await seedSessions(db, 4);
        const { writer, sent } = instantVault();
        const settle = writer.settle.bind(writer);
        let refuse = true;
        // Sorted by artist, artist …e1 (sessions 2 and 4) comes first: the vault names the first voucher of its run.
        writer.settle = async (args) => {
          if (!refuse) return settle(args);
          refuse = false;
          throw new ChainRevertError("settle", "BeatStreamVaultNotCreator", [0n, ARTISTS[1]]);
        };
        const ctx: SettlementContext = { db, writer, maxVouchers: 4, deadlineMarginSeconds: 60 };
        const first = await runSettlementCycle({ ctx, maxSettlements: 1 });
        expect(first.failed).to.have.length(1);
        const second = await runSettlementCycle({ ctx });
        expect(second.failed).to.deep.equal([]);
        expect(sent.flatMap((call) => call.vouchers.map((voucher) => voucher.sessionId)).sort()).to.deep.equal([ids[0], ids[2]]);
        expect(sent.flatMap((call) => call.vouchers.map((voucher) => voucher.artist))).to.deep.equal([ARTISTS[0], ARTISTS[0]]);
      });
    });
  });
}
