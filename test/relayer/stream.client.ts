import { expect } from "chai";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createStreamClient, type WebSocketLike } from "../../relayer/src/stream/client.js";

const ARTIST = "0x00000000000000000000000000000000000000e1";
const VAULT = "0x00000000000000000000000000000000000000f1";
const SESSION = `0x${"ab".repeat(32)}` as const;

/** A relayer socket stand-in: answers `open` with an `opened` frame and every voucher with its ack, and records when each voucher came. */
function fakeRelayer(voucherIntervalSeconds: number) {
  const vouchers: { at: number; cumulativeAmount: string }[] = [];
  class FakeSocket implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike["onopen"] = null;
    onmessage: WebSocketLike["onmessage"] = null;
    onclose: WebSocketLike["onclose"] = null;
    onerror: WebSocketLike["onerror"] = null;
    constructor() {
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 0);
    }
    private reply(frame: object) {
      setTimeout(() => this.onmessage?.({ data: JSON.stringify(frame) }), 0);
    }
    send(data: string) {
      const frame = JSON.parse(data) as { type: string; listener?: string; cumulativeAmount?: string };
      if (frame.type === "open") {
        this.reply({
          type: "opened",
          sessionId: SESSION,
          listener: frame.listener,
          artist: ARTIST,
          trackId: null,
          ratePerSecond: "10",
          cumulativeAmount: "0",
          remaining: "1000000",
          voucherIntervalSeconds,
          graceSeconds: 3,
        });
      } else if (frame.type === "voucher") {
        vouchers.push({ at: performance.now(), cumulativeAmount: frame.cumulativeAmount! });
        this.reply({ type: "ack", cumulativeAmount: frame.cumulativeAmount, remaining: "1000000" });
      } else if (frame.type === "close") {
        this.readyState = 3;
        this.reply({ type: "closed", reason: "client_closed", message: "closed", cumulativeAmount: vouchers.at(-1)?.cumulativeAmount ?? "0" });
      }
    }
    close() {
      this.readyState = 3;
    }
  }
  return { FakeSocket, vouchers };
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
