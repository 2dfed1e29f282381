import { expect } from "chai";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createStreamClient, type WebSocketLike } from "../../relayer/src/stream/client.js";

const ARTIST = "0x00000000000000000000000000000000000000e1";
const VAULT = "0x00000000000000000000000000000000000000f1";
const SESSION = `0x${"ab".repeat(32)}` as const;

type Opened = Record<string, unknown>;
type FakeOptions = {
  /** Changes to the n-th `opened` frame (0 for the first open, 1 for the first reconnect, …). */
  opened?: (n: number, frame: Opened) => Opened;
  /** The amounts acked for a voucher (default: its own). */
  acks?: (cumulativeAmount: string) => string[];
};

/**
 * A relayer socket stand-in: answers `open` with an `opened` frame and every voucher with its ack, and records when
 * each voucher came and every `open` it was sent. `sockets` lets a test drop a connection (`drop()`).
 */
function fakeRelayer(voucherIntervalSeconds: number, options: FakeOptions = {}) {
  const vouchers: { at: number; cumulativeAmount: string }[] = [];
  const opens: Record<string, unknown>[] = [];
  const sockets: { drop(): void }[] = [];
  class FakeSocket implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike["onopen"] = null;
    onmessage: WebSocketLike["onmessage"] = null;
    onclose: WebSocketLike["onclose"] = null;
    onerror: WebSocketLike["onerror"] = null;
    constructor() {
      sockets.push(this);
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 0);
    }
    drop() {
      this.readyState = 3;
      setTimeout(() => this.onclose?.({ code: 1006, reason: "" }), 0);
    }
    private reply(frame: object) {
      setTimeout(() => this.onmessage?.({ data: JSON.stringify(frame) }), 0);
    }
    send(data: string) {
      const frame = JSON.parse(data) as { type: string; listener?: string; cumulativeAmount?: string };
      if (frame.type === "open") {
        opens.push(frame);
        const opened = {
          type: "opened",
          sessionId: SESSION,
          listener: frame.listener,
          artist: ARTIST,
          trackId: null,
          ratePerSecond: "10",
          cumulativeAmount: vouchers.at(-1)?.cumulativeAmount ?? "0",
          remaining: "1000000",
          voucherIntervalSeconds,
          graceSeconds: 3,
          resumed: opens.length > 1,
        };
        this.reply(options.opened?.(opens.length - 1, opened) ?? opened);
      } else if (frame.type === "voucher") {
        vouchers.push({ at: performance.now(), cumulativeAmount: frame.cumulativeAmount! });
        for (const amount of options.acks?.(frame.cumulativeAmount!) ?? [frame.cumulativeAmount!]) this.reply({ type: "ack", cumulativeAmount: amount, remaining: "1000000" });
      } else if (frame.type === "close") {
        this.readyState = 3;
        this.reply({ type: "closed", reason: "client_closed", message: "closed", cumulativeAmount: vouchers.at(-1)?.cumulativeAmount ?? "0" });
      }
    }
    close() {
      this.readyState = 3;
    }
  }
  return { FakeSocket, vouchers, opens, sockets };
}

describe("stream client: voucher timing", function () {
  this.timeout(30_000);

  it("pays first after a random part of the interval (a half to a whole), then every interval: clients opened together do not pay in lockstep", async () => {
    const intervalMs = 2_000;
    const start = async (random: number) => {
      const relayer = fakeRelayer(intervalMs / 1000);
      const client = createStreamClient({
        url: "ws://relayer.test/v1/stream",
        account: privateKeyToAccount(generatePrivateKey()),
        chainId: 31337,
        vault: VAULT,
        artist: ARTIST,
        ratePerSecond: 10n,
        WebSocket: relayer.FakeSocket,
        random: () => random,
      });
      await client.start();
      return { client, vouchers: relayer.vouchers, openedAt: performance.now() };
    };
    const [early, late] = await Promise.all([start(0), start(0.98)]);
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    await Promise.all([early.client.stop(), late.client.stop()]);

    // Timers never fire early; the upper bounds leave a loaded machine room.
    const first = (run: typeof early) => run.vouchers[0]!.at - run.openedAt;
    expect(first(early)).to.be.within(intervalMs * 0.5 - 5, intervalMs * 0.95);
    expect(first(late)).to.be.at.least(intervalMs * 0.98 - 5);
    // Then a whole interval apart (give or take how long each signature took: the times are taken at send), each
    // paying for the seconds heard so far.
    expect(early.vouchers[1]!.at - early.vouchers[0]!.at).to.be.within(intervalMs - 50, intervalMs * 1.45);
    expect(early.vouchers.map((voucher) => BigInt(voucher.cumulativeAmount))).to.satisfy((amounts: bigint[]) => amounts.every((amount, index) => index === 0 || amount > amounts[index - 1]!));
    expect(early.client.spent()).to.equal(BigInt(early.vouchers.at(-1)!.cumulativeAmount));
  });
});

/** The error `promise` rejects with; fails when it resolves. */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value)}`);
  return outcome.error as Error;
}

describe("stream client: the relayer is not trusted with the listener's money", function () {
  this.timeout(30_000);
  const OTHER = "0x00000000000000000000000000000000000000e2";

  /** A client on a fake relayer, its clock in the test's hands; one voucher per hour unless paid by hand. */
  const clientOn = (relayer: ReturnType<typeof fakeRelayer>, options: Partial<Parameters<typeof createStreamClient>[0]> = {}) => {
    const clock = { now: 1_000_000 };
    const errors: string[] = [];
    const client = createStreamClient({
      url: "ws://relayer.test/v1/stream",
      account: privateKeyToAccount(generatePrivateKey()),
      chainId: 31337,
      vault: VAULT,
      ratePerSecond: 10n,
      WebSocket: relayer.FakeSocket,
      reconnect: { backoffMs: 5 },
      now: () => clock.now,
      ...options,
    });
    client.on("error", (frame) => errors.push(frame.code));
    return { client, clock, errors };
  };

  it("refuses a session that would pay another artist than the one asked for: nothing signed, the session ends as untrusted_relayer", async () => {
    const relayer = fakeRelayer(3600, { opened: (_, frame) => ({ ...frame, artist: OTHER }) });
    const { client, errors } = clientOn(relayer, { trackId: 7n, artist: ARTIST });
    expect((await refusal(client.start())).message).to.match(/^untrusted_relayer: the session would pay 0x0+e2, not 0x0+e1$/);
    // Given both, the client asked for the track (the relayer resolves its creator) and checked the answer.
    expect(relayer.opens[0]).to.include({ trackId: "7" }).and.not.have.property("artist");
    expect(errors).to.deep.equal(["untrusted_relayer"]);
    expect((await client.ended()).reason).to.equal("untrusted_relayer");
    expect(await client.pay()).to.equal(0n);
    expect(relayer.vouchers).to.deep.equal([]);
    expect(client.signed()).to.equal(0n);
  });

  it("refuses a new session that claims an amount already acknowledged, or that belongs to another listener", async () => {
    for (const change of [{ cumulativeAmount: "999999990" }, { cumulativeAmount: "1" }, { cumulativeAmount: "-5" }, { cumulativeAmount: "lots" }, { listener: OTHER }]) {
      const relayer = fakeRelayer(3600, { opened: (_, frame) => ({ ...frame, ...change }) });
      const { client } = clientOn(relayer, { artist: ARTIST });
      expect((await refusal(client.start())).message, JSON.stringify(change)).to.match(/^untrusted_relayer: /);
      expect(relayer.vouchers, JSON.stringify(change)).to.deep.equal([]);
    }
  });

  it("on a reconnect: takes an acknowledged amount up to what it signed, refuses more, and keeps the first session's artist and id", async () => {
    // Honest: the resumed session starts from the last voucher, and the next one adds only the seconds heard since.
    const honest = fakeRelayer(3600);
    const run = clientOn(honest, { trackId: 1n });
    await run.client.start();
    run.clock.now += 5_000;
    expect(await run.client.pay()).to.equal(50n);
    const reopened = new Promise((resolve) => run.client.on("opened", resolve));
    honest.sockets[0]!.drop();
    await reopened;
    // The resume names the artist the first session paid (a track alone: the relayer's first answer, then fixed).
    expect(honest.opens[1]).to.include({ artist: ARTIST, sessionId: SESSION });
    run.clock.now += 2_000;
    expect(await run.client.pay()).to.equal(70n);
    await run.client.stop();

    for (const [label, change] of [
      ["an amount above what was signed", { cumulativeAmount: "51" }],
      ["another artist", { artist: OTHER }],
      ["another session", { sessionId: `0x${"cd".repeat(32)}` }],
    ] as const) {
      const relayer = fakeRelayer(3600, { opened: (n, frame) => (n === 0 ? frame : { ...frame, ...change }) });
      const { client, clock } = clientOn(relayer, { trackId: 1n });
      await client.start();
      clock.now += 5_000;
      expect(await client.pay()).to.equal(50n);
      relayer.sockets[0]!.drop();
      const ended = await client.ended();
      expect(ended.reason, label).to.equal("untrusted_relayer");
      expect(relayer.vouchers.map((voucher) => voucher.cumulativeAmount), label).to.deep.equal(["50"]);
      expect(client.spent(), label).to.equal(50n);
    }
  });

  it("an ack above what was signed does not move what it counts as spent", async () => {
    const relayer = fakeRelayer(3600, { acks: (amount) => [(BigInt(amount) * 1000n).toString(), amount] });
    const { client, clock } = clientOn(relayer, { artist: ARTIST });
    await client.start();
    clock.now += 3_000;
    expect(await client.pay()).to.equal(30n);
    expect(client.spent()).to.equal(30n);
    expect(client.signed()).to.equal(30n);
    await client.stop();
  });

  it("resuming a session by id believes the acknowledged amount only up to resumeFrom (default 0)", async () => {
    const resumedAt = (amount: string) => fakeRelayer(3600, { opened: (_, frame) => ({ ...frame, cumulativeAmount: amount, resumed: true }) });
    const accepted = resumedAt("400");
    const ok = clientOn(accepted, { artist: ARTIST, sessionId: SESSION, resumeFrom: 400n });
    expect((await ok.client.start()).cumulativeAmount).to.equal("400");
    ok.clock.now += 2_000;
    expect(await ok.client.pay()).to.equal(420n);
    await ok.client.stop();

    const refused = clientOn(resumedAt("400"), { artist: ARTIST, sessionId: SESSION });
    expect((await refusal(refused.client.start())).message).to.match(/counts 400 as acknowledged, but this client signed at most 0$/);
  });
});
