import { expect } from "chai";
import { createGroupCommit } from "../../relayer/src/stream/group-commit.js";

describe("relayer stream: group commit", () => {
  it("writes everything submitted in one turn of the event loop as one statement, in order", async () => {
    const writes: number[][] = [];
    const group = createGroupCommit<number, string>({
      write: async (items) => {
        writes.push(items);
        return items.map((item) => `stored ${item}`);
      },
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((item) => group.submit(item)));
    expect(results).to.deep.equal(["stored 1", "stored 2", "stored 3", "stored 4", "stored 5"]);
    expect(writes).to.deep.equal([[1, 2, 3, 4, 5]]);
  });

  it("gathers what arrives while a blocking write runs into the next statement, up to maxItems", async () => {
    const writes: number[][] = [];
    let arrivals: (() => void) | undefined;
    const group = createGroupCommit<number, number>({
      maxItems: 3,
      write: async (items) => {
        writes.push(items);
        // Like PGlite: the statement blocks the thread; the items below are delivered by the next I/O pass.
        arrivals?.();
        arrivals = undefined;
        return items;
      },
    });
    const later: Promise<number>[] = [];
    arrivals = () => {
      setImmediate(() => {
        for (const item of [10, 11, 12, 13]) later.push(group.submit(item));
      });
    };
    const first = group.submit(1);
    expect(await first).to.equal(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await Promise.all(later)).to.deep.equal([10, 11, 12, 13]);
    await group.drain();
    expect(writes).to.deep.equal([[1], [10, 11, 12], [13]]);
  });

  it("fails only the statement that failed; later items are written", async () => {
    let fail = true;
    const group = createGroupCommit<number, number>({
      write: async (items) => {
        if (fail) {
          fail = false;
          throw new Error("disk full");
        }
        return items;
      },
    });
    const failed = [group.submit(1), group.submit(2)];
    for (const result of await Promise.allSettled(failed)) expect(result).to.deep.include({ status: "rejected" });
    expect(await group.submit(3)).to.equal(3);
  });

  it("with minIntervalMs, spaces statements under steady arrivals so each carries more, and still writes a lone item at once", async () => {
    const writes: { at: number; items: number[] }[] = [];
    const group = createGroupCommit<number, number>({
      minIntervalMs: 100,
      write: async (items) => {
        writes.push({ at: performance.now(), items });
        return items;
      },
    });
    // Idle: a lone item goes out within a pass, not after the interval.
    const idleAt = performance.now();
    expect(await group.submit(0)).to.equal(0);
    expect(writes[0]!.at - idleAt).to.be.below(50);
    await group.drain();
    await new Promise((resolve) => setTimeout(resolve, 150));

    // Steady arrivals, one every ms or so for about 300 ms: statements start 100 ms apart (timers may fire up to 2 ms early by this clock).
    writes.length = 0;
    const all: Promise<number>[] = [];
    for (let item = 1; item <= 300; item++) {
      all.push(group.submit(item));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await Promise.all(all)).to.deep.equal(Array.from({ length: 300 }, (_, index) => index + 1));
    await group.drain();
    const gaps = writes.slice(1).map((write, index) => write.at - writes[index]!.at);
    for (const gap of gaps) expect(gap).to.be.at.least(98);
    expect(writes.flatMap((write) => write.items)).to.deep.equal(Array.from({ length: 300 }, (_, index) => index + 1));
    // Without the spacing each statement would carry one or two items (one per pass).
    expect(writes.length).to.be.below(30);
  });
});
