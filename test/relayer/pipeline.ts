import { expect } from "chai";
import { advance, backoffDelay, createCycleRunner, runPipeline, type StepList } from "../../relayer/src/pipeline/machine.js";
import { createPollingScheduler } from "../../relayer/src/pipeline/scheduler.js";

type Status = "sealed" | "stored" | "submitted" | "done" | "failed" | "open";
type Step = "seal" | "store" | "submit" | "confirm";

/** Records in a map, as a table would hold them; each step writes the next status, like the real steps. */
function fakePipeline({ failOnce }: { failOnce?: Step } = {}) {
  const records = new Map<bigint, Status>();
  const ran: string[] = [];
  let nextId = 1n;
  let waiting = 0;
  let failed = false;
  const moves: Record<Exclude<Step, "seal">, Status> = { store: "stored", submit: "submitted", confirm: "done" };
  const list: StepList<Status, Step> = {
    next: { sealed: "store", stored: "submit", submitted: "confirm" },
    final: ["done", "failed"],
    async status(id) {
      const status = records.get(id);
      if (status === undefined) throw new Error(`no record ${id}`);
      return status;
    },
    async run(step, id) {
      ran.push(`${step}:${id}`);
      if (step === failOnce && !failed) {
        failed = true;
        throw new Error(`${step} failed`);
      }
      if (step === "seal") throw new Error("seal is not run on a record");
      records.set(id, moves[step]);
    },
    stuck: (id, status) => new Error(`record ${id} is ${status}`),
  };
  const seal = {
    step: "seal" as const,
    async run() {
      if (waiting === 0) return undefined;
      waiting -= 1;
      const id = nextId++;
      records.set(id, "sealed");
      ran.push(`seal:${id}`);
      return id;
    },
  };
  const unfinished = async () => [...records].filter(([, status]) => !list.final.includes(status)).map(([id]) => id);
  return { records, ran, list, seal, unfinished, addWork: (n: number) => (waiting += n), setNext: (id: bigint) => (nextId = id) };
}

describe("relayer pipeline: the step machine", () => {
  it("runs the steps in order from seal to a final status, timing each and calling afterStep after each success", async () => {
    const p = fakePipeline();
    p.addWork(2);
    const timed: string[] = [];
    const after: string[] = [];
    const result = await runPipeline({
      list: p.list,
      unfinished: p.unfinished,
      seal: p.seal,
      maxSeals: 5,
      observeStep: (step, seconds) => {
        expect(seconds).to.be.at.least(0);
        timed.push(step);
      },
      afterStep: async (step, id) => void after.push(`${step}:${id}`),
    });
    expect(p.ran).to.deep.equal(["seal:1", "store:1", "submit:1", "confirm:1", "seal:2", "store:2", "submit:2", "confirm:2"]);
    expect(after).to.deep.equal(p.ran);
    // The last seal found nothing: it is timed, but no record is reported to afterStep.
    expect(timed).to.deep.equal(["seal", "store", "submit", "confirm", "seal", "store", "submit", "confirm", "seal"]);
    expect(result).to.deep.equal({ finished: [{ id: 1n, status: "done" }, { id: 2n, status: "done" }], sealed: [1n, 2n], stopped: false });
  });

  it("tells the step timer which record each step worked on (a seal its new record; a seal that found nothing, none)", async () => {
    const p = fakePipeline();
    p.addWork(1);
    const timed: string[] = [];
    await runPipeline({ list: p.list, unfinished: p.unfinished, seal: p.seal, maxSeals: 5, observeStep: (step, _seconds, id) => void timed.push(`${step}:${id ?? "-"}`) });
    expect(timed).to.deep.equal(["seal:1", "store:1", "submit:1", "confirm:1", "seal:-"]);
  });

  it("resumes each record from its recorded status, oldest first, before sealing anything new", async () => {
    const p = fakePipeline();
    p.records.set(7n, "submitted");
    p.records.set(8n, "sealed");
    p.records.set(9n, "failed");
    p.setNext(10n);
    p.addWork(1);
    const result = await runPipeline({ list: p.list, unfinished: p.unfinished, seal: p.seal });
    expect(p.ran).to.deep.equal(["confirm:7", "store:8", "submit:8", "confirm:8", "seal:10", "store:10", "submit:10", "confirm:10"]);
    expect(result.finished.map(({ id }) => id)).to.deep.equal([7n, 8n, 10n]);
    expect(p.records.get(9n)).to.equal("failed");
  });

  it("stops between steps: the current step finishes and is recorded, the next is left for the next run", async () => {
    const p = fakePipeline();
    p.addWork(1);
    let stop = false;
    const result = await runPipeline({
      list: p.list,
      unfinished: p.unfinished,
      seal: p.seal,
      shouldStop: () => stop,
      afterStep: async (step) => {
        if (step === "store") stop = true;
      },
    });
    expect(result.stopped).to.equal(true);
    expect(p.ran).to.deep.equal(["seal:1", "store:1"]);
    expect(p.records.get(1n)).to.equal("stored");
    const again = await runPipeline({ list: p.list, unfinished: p.unfinished, seal: p.seal });
    expect(again.finished).to.deep.equal([{ id: 1n, status: "done" }]);
    expect(p.ran.slice(2)).to.deep.equal(["submit:1", "confirm:1"]);
  });

  it("a failed step leaves the record at its recorded status, and the next run retries that step", async () => {
    const p = fakePipeline({ failOnce: "submit" });
    p.addWork(1);
    const after: string[] = [];
    const hooks = { afterStep: async (step: Step, id: bigint) => void after.push(`${step}:${id}`) };
    let error: unknown;
    await runPipeline({ list: p.list, unfinished: p.unfinished, seal: p.seal, ...hooks }).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain("submit failed");
    expect(p.records.get(1n)).to.equal("stored");
    expect(after).to.deep.equal(["seal:1", "store:1"]);
    await runPipeline({ list: p.list, unfinished: p.unfinished, seal: p.seal, ...hooks });
    expect(p.ran).to.deep.equal(["seal:1", "store:1", "submit:1", "submit:1", "confirm:1"]);
    expect(p.records.get(1n)).to.equal("done");
  });

  it("a status with no step and not final is an error, not a silent skip", async () => {
    const p = fakePipeline();
    p.records.set(3n, "open");
    let error: unknown;
    await advance(p.list, 3n).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain("record 3 is open");
  });

  it("paces seals after the first and stops sealing at maxSeals", async () => {
    const p = fakePipeline();
    p.addWork(5);
    const pauses: number[] = [];
    const result = await runPipeline({
      list: p.list,
      unfinished: p.unfinished,
      seal: p.seal,
      maxSeals: 3,
      paceMs: async () => 40,
      pause: async (ms) => void pauses.push(ms),
    });
    expect(result.sealed).to.deep.equal([1n, 2n, 3n]);
    expect(pauses).to.deep.equal([40, 40]);
  });
});

describe("relayer pipeline: the cycle runner", () => {
  const empty = () => ({ ran: false });

  it("never runs two cycles at once, and runs them in the order asked", async () => {
    const order: string[] = [];
    let running = 0;
    const runner = createCycleRunner<string, { ran: boolean }>({
      async cycle(input) {
        running += 1;
        expect(running).to.equal(1);
        order.push(`start ${input}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`end ${input}`);
        running -= 1;
        return { ran: true };
      },
      stopped: empty,
      notLeased: empty,
    });
    const results = await Promise.all([runner.run("a"), runner.run("b")]);
    expect(order).to.deep.equal(["start a", "end a", "start b", "end b"]);
    expect(results).to.deep.equal([{ ran: true, leased: true }, { ran: true, leased: true }]);
  });

  it("does nothing when the lease is not acquired, and releases it after every cycle it ran", async () => {
    const calls: string[] = [];
    let free = false;
    const runner = createCycleRunner<void, { ran: boolean }>({
      cycle: async () => {
        calls.push("cycle");
        return { ran: true };
      },
      lease: {
        acquire: async () => (calls.push("acquire"), free),
        release: async () => void calls.push("release"),
      },
      stopped: empty,
      notLeased: empty,
    });
    expect(await runner.run()).to.deep.equal({ ran: false, leased: false });
    free = true;
    expect(await runner.run()).to.deep.equal({ ran: true, leased: true });
    expect(calls).to.deep.equal(["acquire", "acquire", "cycle", "release"]);
  });

  it("records a failure before rethrowing it, and the queue goes on after it", async () => {
    const failures: unknown[] = [];
    let cycles = 0;
    const runner = createCycleRunner<void, { ran: boolean }>({
      cycle: async () => {
        if (cycles++ === 0) throw new Error("boom");
        return { ran: true };
      },
      stopped: empty,
      notLeased: empty,
      onFailure: async (error) => void failures.push(error),
    });
    const first = runner.run();
    let error: unknown;
    await first.catch((e: unknown) => (error = e));
    expect(String(error)).to.contain("boom");
    expect(failures).to.have.length(1);
    expect(await runner.run()).to.deep.equal({ ran: true, leased: true });
  });

  it("stop lets the running cycle see shouldStop, waits for it, and refuses new cycles", async () => {
    let sawStop = false;
    const runner = createCycleRunner<void, { ran: boolean }>({
      async cycle(_input, shouldStop) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        sawStop = shouldStop();
        return { ran: true };
      },
      stopped: () => {
        throw new Error("stopped");
      },
      notLeased: empty,
    });
    const running = runner.run();
    await new Promise((resolve) => setTimeout(resolve, 2));
    await runner.stop();
    expect(await running).to.deep.equal({ ran: true, leased: true });
    expect(sawStop).to.equal(true);
    let error: unknown;
    await runner.run().catch((e: unknown) => (error = e));
    expect(String(error)).to.contain("stopped");
  });
});

describe("relayer pipeline: retry with backoff", () => {
  it("doubles the delay per failure in a row, up to the cap", () => {
    expect([0, 1, 2, 3, 4, 10, 100].map((failures) => backoffDelay({ failures, baseMs: 100, maxMs: 1_000 }))).to.deep.equal([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it("the polling scheduler retries a failing cycle with growing delays, and polls at the base rate again after a success", async () => {
    const starts: number[] = [];
    let failuresLeft = 4;
    const scheduler = createPollingScheduler({
      async run() {
        starts.push(Date.now());
        if (failuresLeft-- > 0) throw new Error("outage");
        return undefined;
      },
      drain: async () => {},
      intervalMs: 3_600_000,
      pollMs: 20,
      due: async () => true,
    });
    scheduler.start();
    const deadline = Date.now() + 5_000;
    while (starts.length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await scheduler.stop();
    const gaps = starts.slice(1).map((at, index) => at - starts[index]!);
    // After failures 1..4 the waits are 40, 80, 160, 320 ms; after the success, 20 ms again. Timers fire late under
    // load, never early (a millisecond of rounding aside), so only lower bounds and the drop after success are checked.
    expect(gaps.slice(0, 4).map((gap, index) => gap >= 40 * 2 ** index - 2)).to.deep.equal([true, true, true, true]);
    expect(gaps[4]).to.be.below(gaps[3]!);
  });

  it("a stopped scheduler starts no cycle", async () => {
    let runs = 0;
    const scheduler = createPollingScheduler({
      run: async () => void (runs += 1),
      drain: async () => {},
      intervalMs: 3_600_000,
      pollMs: 5,
      due: async () => true,
    });
    scheduler.start();
    await scheduler.stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).to.equal(0);
  });
});
