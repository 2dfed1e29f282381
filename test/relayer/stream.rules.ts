import { expect } from "chai";
import { dueAt, tickFrame, tickVerdict, voucherRefusal, type SessionNumbers, type StreamRules } from "../../relayer/src/stream/rules.js";

const rules: StreamRules = { voucherIntervalSeconds: 5, graceSeconds: 10, silenceSeconds: 30, minVoucherTtlSeconds: 60, maxSessions: 100 };
// Opened at t = 1,000,000 ms with 500 already acknowledged, 7 units a second.
const session: SessionNumbers = {
  id: `0x${"11".repeat(32)}`,
  listener: `0x${"22".repeat(20)}`,
  rate: 7n,
  acked: 500n,
  accepted: 500n,
  baseAt: 1_000_000,
  baseAmount: 500n,
  lastPaidAt: 1_000_000,
};
const deadline = BigInt(Math.floor(1_020_000 / 1000) + 60);

describe("relayer stream: session rules", () => {
  it("counts whole seconds since the (re)open", () => {
    expect(dueAt(session, 1_000_999)).to.equal(500n);
    expect(dueAt(session, 1_020_500)).to.equal(500n + 20n * 7n);
  });

  it("refuses a voucher replayed, decreasing, expiring too soon or beyond elapsed time and grace, and lets the rest through", () => {
    const at = 1_020_000;
    const codeOf = (cumulativeAmount: bigint, voucherDeadline = deadline) => voucherRefusal(session, { cumulativeAmount, deadline: voucherDeadline }, at, rules)?.code;
    expect(codeOf(500n)).to.equal("voucher_replayed");
    expect(codeOf(499n)).to.equal("voucher_decreasing");
    expect(codeOf(600n, deadline - 1n)).to.equal("deadline_too_soon");
    // 20 s elapsed and 10 s of grace at 7 a second: 500 + 210 at most.
    expect(codeOf(710n)).to.equal(undefined);
    expect(codeOf(711n)).to.equal("voucher_exceeds_elapsed");
  });

  it("ends a silent session (disconnected when its socket is gone), an underpaying one, and an uncovered one on a fresh figure only", () => {
    const funds = (available: bigint | undefined, fresh: boolean) => ({ available, fresh: () => fresh });
    expect(tickVerdict(session, false, 1_030_001, rules, funds(undefined, true))).to.deep.equal({ end: "silent" });
    expect(tickVerdict(session, true, 1_030_001, rules, funds(undefined, true))).to.deep.equal({ end: "disconnected" });
    const paid = { ...session, lastPaidAt: 1_040_000 };
    // 31 s unpaid at 7 a second is more than the 30 s of silence allowed.
    expect(tickVerdict(paid, false, 1_031_000, rules, funds(undefined, true))).to.deep.equal({ end: "underpaid" });
    // 10 s unpaid: 70 owed.
    expect(tickVerdict(paid, false, 1_010_000, rules, funds(69n, true))).to.deep.equal({ end: "insufficient_funds" });
    expect(tickVerdict(paid, false, 1_010_000, rules, funds(69n, false))).to.deep.equal({ refreshFunds: true });
    expect(tickVerdict(paid, false, 1_010_000, rules, funds(70n, true))).to.deep.equal({ refreshFunds: false });
  });

  it("writes the tick frame as JSON", () => {
    expect(JSON.parse(tickFrame(session, 1_002_000, 9n))).to.deep.equal({ type: "tick", elapsed: 2, due: "514", acked: "500", remaining: "9" });
    expect(JSON.parse(tickFrame(session, 1_002_000, undefined)).remaining).to.equal(null);
  });
});
