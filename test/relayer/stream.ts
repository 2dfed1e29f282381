import { expect } from "chai";
import { getAddress, type Address, type Hex } from "viem";
import { deployChain, newListener, tempDir, TEST_DATABASE_URL, type Chain } from "./core.helpers.js";
import {
  fundedListener,
  flushSettlements,
  rawSocket,
  settledOnChain,
  signVoucher,
  startStreamRelayer,
  streamClient,
  vaultBalance,
  type Frame,
  type StreamRelayer,
} from "./stream.helpers.js";

/**
 * Pay-per-second streaming end to end: the real relayer server on 127.0.0.1 (WebSocket and HTTP), real signatures,
 * a real vault on an in-process Hardhat chain, PGlite on disk (and PostgreSQL when TEST_DATABASE_URL is set).
 */
const DEPOSIT = 1_000_000n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const json = async (response: Response) => (await response.json()) as Record<string, any>;

describe("stream sessions (WebSocket on 127.0.0.1, real vault)", function () {
  this.timeout(240_000);

  let chain: Chain;
  let creator: Address;
  before(async function () {
    this.timeout(120_000);
    chain = await deployChain(2);
    creator = getAddress(chain.creator.address);
  });

  for (const backend of ["PGlite", "PostgreSQL"] as const) {
    describe(`on ${backend}`, function () {
      let relayer: StreamRelayer | undefined;
      beforeEach(function () {
        if (backend === "PostgreSQL" && TEST_DATABASE_URL === undefined) this.skip();
      });
      afterEach(async () => {
        await relayer?.dispose();
        relayer = undefined;
      });

      it("a full session settles exactly the signed amount", async () => {
        relayer = await startStreamRelayer(chain, { backend });
        const listener = await fundedListener(chain, DEPOSIT);
        const client = await streamClient(chain, relayer, listener, { trackId: 1n, ratePerSecond: 100n });
        const opened = await client.start();
        expect(opened).to.include({ listener: listener.address.toLowerCase(), artist: creator.toLowerCase(), trackId: "1", ratePerSecond: "100", cumulativeAmount: "0", resumed: false });
        expect(opened.remaining).to.equal(DEPOSIT.toString());
        const ticks: string[] = [];
        client.on("tick", (tick) => ticks.push(tick.due));
        await sleep(3_200);
        const closed = await client.stop();
        expect(closed.reason).to.equal("client_closed");
        const spent = client.spent();
        expect(spent).to.equal(client.signed());
        expect(spent >= 300n && spent <= 400n, `spent ${spent}`).to.equal(true);
        expect(ticks.length).to.be.greaterThanOrEqual(2);

        const session = await json(await fetch(`${relayer.url}/v1/sessions/${opened.sessionId}`));
        expect(session).to.include({ status: "closed", closeReason: "client_closed", cumulativeAmount: spent.toString(), settledAmount: "0", pendingAmount: spent.toString(), live: false });
        const balance = await json(await fetch(`${relayer.url}/v1/listeners/${listener.address}/balance`));
        expect(balance).to.include({ balance: DEPOSIT.toString(), unsettled: spent.toString(), available: (DEPOSIT - spent).toString() });

        const result = await flushSettlements(relayer);
        expect(result.settled).to.have.length(1);
        const ids = { listener: listener.address, artist: creator, sessionId: opened.sessionId };
        expect(await settledOnChain(chain, ids)).to.equal(spent);
        expect(await vaultBalance(chain, listener.address)).to.equal(DEPOSIT - spent);
        const settled = await json(await fetch(`${relayer.url}/v1/sessions/${opened.sessionId}`));
        expect(settled).to.include({ settledAmount: spent.toString(), pendingAmount: "0" });
        const settlement = await json(await fetch(`${relayer.url}/v1/settlements/${result.settled[0]}`));
        expect(settlement).to.include({ status: "settled", voucherCount: 1, paid: spent.toString() });
        const earnings = await json(await fetch(`${relayer.url}/v1/artists/${creator}/earnings`));
        expect(BigInt(earnings.pending)).to.equal(0n);
        expect(BigInt(earnings.settled) >= spent).to.equal(true);

        // Nothing left: another flush settles nothing and the vault's figure stays.
        expect((await flushSettlements(relayer)).settled).to.deep.equal([]);
        expect(await settledOnChain(chain, ids)).to.equal(spent);
      });

      it("1,000 concurrent sessions (50 listeners × 20) each settle exactly what they signed", async function () {
        this.timeout(600_000);
        // Vouchers every 5 s (the default). Test, server and chain share one process here, and opening 1,000 sessions
        // keeps it busy for a while: a generous silence timeout keeps timing out of a test about correctness.
        relayer = await startStreamRelayer(chain, { backend, env: { STREAM_VOUCHER_INTERVAL_SECONDS: "5", STREAM_SILENCE_SECONDS: "120" } });
        const listeners = [];
        for (let index = 0; index < 50; index++) listeners.push(await fundedListener(chain, DEPOSIT));
        const clients = await Promise.all(
          listeners.flatMap((listener) => Array.from({ length: 20 }, () => streamClient(chain, relayer!, listener, { trackId: 2n, ratePerSecond: 10n }))),
        );
        const opened = await Promise.all(clients.map((client) => client.start()));
        expect(new Set(opened.map((frame) => frame.sessionId)).size).to.equal(1000);
        await sleep(6_000);
        const closed = await Promise.all(clients.map((client) => client.stop()));
        expect(closed.filter((frame) => frame.reason !== "client_closed").map((frame) => frame.reason)).to.deep.equal([]);
        const spent = clients.map((client) => client.spent());
        expect(spent.every((amount) => amount > 0n)).to.equal(true);

        const result = await flushSettlements(relayer);
        expect(result.failed).to.deep.equal([]);
        expect(result.settled.length).to.equal(10); // 1,000 vouchers at STREAM_SETTLE_MAX = 100
        for (let index = 0; index < clients.length; index++) {
          const frame = opened[index];
          expect(await settledOnChain(chain, { listener: frame.listener, artist: frame.artist, sessionId: frame.sessionId })).to.equal(spent[index]);
        }
        for (let index = 0; index < listeners.length; index++) {
          const paid = spent.slice(index * 20, index * 20 + 20).reduce((sum, amount) => sum + amount, 0n);
          expect(await vaultBalance(chain, listeners[index].address)).to.equal(DEPOSIT - paid);
        }
      });
    });
  }

  describe("refusals (PGlite)", function () {
    let relayer: StreamRelayer;
    before(async () => {
      relayer = await startStreamRelayer(chain);
    });
    after(async () => {
      await relayer.dispose();
    });

    const isError = (code: string) => (frame: Frame) => frame.type === "error" && frame.code === code;

    it("answers bad frames, invalid, replayed, decreasing, early and too-late vouchers with coded errors, and keeps the session", async () => {
      const listener = await fundedListener(chain, DEPOSIT);
      const socket = await rawSocket(relayer.wsUrl);
      socket.sendText("{not json");
      expect((await socket.next(isError("invalid_json"))).ref).to.equal("frame");
      socket.send({ type: "dance" });
      await socket.next(isError("invalid_message"));
      socket.sendText(JSON.stringify([1, 2, 3]));
      await socket.next(isError("invalid_message"));
      socket.send({ type: "voucher", cumulativeAmount: "1", deadline: nowSeconds() + 86_400, signature: `0x${"11".repeat(65)}` });
      await socket.next(isError("no_session"));
      socket.send({ type: "open", listener: listener.address, artist: listener.address, ratePerSecond: "100" });
      await socket.next(isError("invalid_message"));
      socket.send({ type: "open", listener: listener.address, trackId: "99", ratePerSecond: "100" });
      await socket.next(isError("unknown_track"));
      socket.send({ type: "open", listener: listener.address, artist: creator, trackId: "1", ratePerSecond: "100" });
      await socket.next(isError("invalid_message"));
      socket.send({ type: "open", listener: listener.address, artist: creator, ratePerSecond: "0" });
      await socket.next(isError("invalid_message"));

      socket.send({ type: "open", listener: listener.address, artist: creator, ratePerSecond: "100" });
      const opened = await socket.next((frame) => frame.type === "opened");
      socket.send({ type: "open", listener: listener.address, artist: creator, ratePerSecond: "100" });
      await socket.next(isError("session_already_open"));
      const sessionId: Hex = opened.sessionId;
      const deadline = BigInt(nowSeconds() + 86_400);
      const voucher = async (cumulativeAmount: bigint, options: { by?: typeof listener; deadline?: bigint } = {}) => {
        const signature = await signVoucher(options.by ?? listener, chain, { artist: creator, sessionId, cumulativeAmount, deadline: options.deadline ?? deadline });
        // The signer's address is what the voucher claims as listener only when `by` is the listener.
        socket.send({ type: "voucher", cumulativeAmount: cumulativeAmount.toString(), deadline: Number(options.deadline ?? deadline), signature });
      };

      await voucher(100n, { by: newListener() });
      expect((await socket.next(isError("invalid_signature"))).cumulativeAmount).to.equal("100");
      await voucher(200n);
      expect(await socket.next((frame) => frame.type === "ack")).to.include({ cumulativeAmount: "200" });
      await voucher(200n);
      await socket.next(isError("voucher_replayed"));
      await voucher(150n);
      await socket.next(isError("voucher_decreasing"));
      await voucher(250n, { deadline: BigInt(nowSeconds() + 60) });
      await socket.next(isError("deadline_too_soon"));
      // Opened a moment ago at 100 per second with 3 s of grace: 50,000 is far beyond what elapsed time allows.
      await voucher(50_000n);
      await socket.next(isError("voucher_exceeds_elapsed"));
      socket.send({ type: "voucher", cumulativeAmount: "-5", deadline: 1, signature: "0x00" });
      await socket.next(isError("invalid_message"));

      // The session survived all of it: a valid voucher is still acknowledged.
      await voucher(300n);
      expect(await socket.next((frame) => frame.type === "ack")).to.include({ cumulativeAmount: "300" });
      socket.send({ type: "close" });
      expect(await socket.next((frame) => frame.type === "closed")).to.include({ reason: "client_closed", cumulativeAmount: "300" });
      expect((await socket.closed).code).to.equal(1000);

      await flushSettlements(relayer);
      expect(await settledOnChain(chain, { listener: listener.address, artist: creator, sessionId })).to.equal(300n);
      // Still alive after everything: /healthz answers.
      expect((await fetch(`${relayer.url}/healthz`)).status).to.equal(200);
    });

    it("refuses a session that pays the listener's own second address (not a creator) with artist_not_creator, and stores nothing", async () => {
      const listener = await fundedListener(chain, DEPOSIT);
      // The attack: a listener "pays" an address of its own, then withdraws it as earnings, around the vault's delay.
      const second = newListener().address;
      const sessionId: Hex = `0x${"5e".repeat(32)}`;
      const socket = await rawSocket(relayer.wsUrl);
      socket.send({ type: "open", listener: listener.address, artist: second, ratePerSecond: "100" });
      const refused = await socket.next((frame) => frame.type === "error" || frame.type === "opened");
      expect(refused).to.include({ type: "error", code: "artist_not_creator", ref: "open" });
      // Naming a session id (the resume path) is refused the same way, before anything is written.
      socket.send({ type: "open", listener: listener.address, artist: second, ratePerSecond: "100", sessionId });
      expect(await socket.next((frame) => frame.type === "error" || frame.type === "opened")).to.include({ type: "error", code: "artist_not_creator" });
      // And over HTTP.
      const created = await fetch(`${relayer.url}/v1/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ listener: listener.address, artist: second, ratePerSecond: "100" }),
      });
      expect(created.status).to.equal(400);
      expect((await json(created)).error.code).to.equal("artist_not_creator");
      socket.close();
      // Nothing stored: no session pays the address, and the named session id does not exist.
      expect(await json(await fetch(`${relayer.url}/v1/artists/${second}/earnings`))).to.include({ sessions: 0, settled: "0", pending: "0" });
      expect((await fetch(`${relayer.url}/v1/sessions/${sessionId}`)).status).to.equal(404);
      // A creator named explicitly is still accepted.
      const fine = await rawSocket(relayer.wsUrl);
      fine.send({ type: "open", listener: listener.address, artist: creator, ratePerSecond: "100" });
      expect(await fine.next((frame) => frame.type === "error" || frame.type === "opened")).to.include({ type: "opened", artist: creator.toLowerCase() });
      fine.close();
    });

    it("refuses a voucher the vault balance cannot cover and ends the session (overspending)", async () => {
      const listener = await fundedListener(chain, 250n);
      const socket = await rawSocket(relayer.wsUrl);
      socket.send({ type: "open", listener: listener.address, artist: creator, ratePerSecond: "100" });
      const opened = await socket.next((frame) => frame.type === "opened");
      expect(opened.remaining).to.equal("250");
      const deadline = BigInt(nowSeconds() + 86_400);
      const send = async (cumulativeAmount: bigint) => {
        const signature = await signVoucher(listener, chain, { artist: creator, sessionId: opened.sessionId, cumulativeAmount, deadline });
        socket.send({ type: "voucher", cumulativeAmount: cumulativeAmount.toString(), deadline: Number(deadline), signature });
      };
      await send(200n);
      await socket.next((frame) => frame.type === "ack");
      // Within the elapsed allowance (3 s of grace at 100/s), beyond the 250 deposited.
      await send(300n);
      await socket.next(isError("insufficient_funds"));
      expect(await socket.next((frame) => frame.type === "closed")).to.include({ reason: "insufficient_funds", cumulativeAmount: "200" });
      expect((await socket.closed).code).to.equal(4001);
      await flushSettlements(relayer);
      expect(await settledOnChain(chain, { listener: listener.address, artist: creator, sessionId: opened.sessionId })).to.equal(200n);
    });

    it("a listener running out of funds mid-stream is stopped, and pays exactly what it signed", async () => {
      const listener = await fundedListener(chain, 450n);
      const client = await streamClient(chain, relayer, listener, { artist: creator, ratePerSecond: 100n });
      await client.start();
      const closed = await client.ended();
      expect(closed.reason).to.equal("insufficient_funds");
      const spent = client.spent();
      expect(spent > 0n && spent <= 450n, `spent ${spent}`).to.equal(true);
      const sessionId = client.sessionId()!;
      await flushSettlements(relayer);
      expect(await settledOnChain(chain, { listener: listener.address, artist: creator, sessionId })).to.equal(spent);
      expect(await vaultBalance(chain, listener.address)).to.equal(450n - spent);
      // A new session of the same listener is refused its first voucher beyond what is left.
      const again = await streamClient(chain, relayer, listener, { artist: creator, ratePerSecond: 100n });
      const opened = await again.start();
      expect(BigInt(opened.remaining ?? "0")).to.equal(450n - spent);
    });

    it("HTTP fallback: open, vouchers, close, with the one error shape for bad input", async () => {
      const listener = await fundedListener(chain, DEPOSIT);
      const post = (path: string, body: unknown) => fetch(`${relayer.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
      const bad = await post("/v1/sessions", "{oops");
      expect(bad.status).to.equal(400);
      expect((await json(bad)).error.code).to.equal("invalid_json");
      const missing = await post("/v1/sessions", { listener: listener.address, ratePerSecond: "5" });
      expect(missing.status).to.equal(400);
      expect((await json(missing)).error.code).to.equal("invalid_request");

      const created = await post("/v1/sessions", { listener: listener.address, artist: creator, ratePerSecond: "100" });
      expect(created.status).to.equal(201);
      const opened = await json(created);
      await sleep(1_100);
      const deadline = BigInt(nowSeconds() + 86_400);
      const signature = await signVoucher(listener, chain, { artist: creator, sessionId: opened.sessionId, cumulativeAmount: 100n, deadline });
      const acked = await post("/v1/vouchers", { sessionId: opened.sessionId, cumulativeAmount: "100", deadline: Number(deadline), signature });
      expect(acked.status).to.equal(200);
      expect(await json(acked)).to.include({ type: "ack", cumulativeAmount: "100", remaining: (DEPOSIT - 100n).toString() });
      const replay = await post("/v1/vouchers", { sessionId: opened.sessionId, cumulativeAmount: "100", deadline: Number(deadline), signature });
      expect(replay.status).to.equal(409);
      expect((await json(replay)).error.code).to.equal("voucher_replayed");
      const unknown = await post("/v1/vouchers", { sessionId: `0x${"ab".repeat(32)}`, cumulativeAmount: "100", deadline: Number(deadline), signature });
      expect(unknown.status).to.equal(404);
      expect((await json(unknown)).error.code).to.equal("session_not_found");

      expect((await post(`/v1/sessions/${opened.sessionId}/close`, {})).status).to.equal(200);
      await flushSettlements(relayer);
      expect(await settledOnChain(chain, { listener: listener.address, artist: creator, sessionId: opened.sessionId })).to.equal(100n);
      const earnings = await json(await fetch(`${relayer.url}/v1/artists/${creator}/earnings`));
      expect(BigInt(earnings.withdrawable) >= 100n).to.equal(true);
      expect((await fetch(`${relayer.url}/v1/sessions/0x1234`)).status).to.equal(400);
      expect((await fetch(`${relayer.url}/v1/listeners/nope/balance`)).status).to.equal(400);
    });
  });

  it("the client reconnects after a relayer restart and resumes the session where the stored voucher left it", async () => {
    const dir = await tempDir("relayer-stream-resume-");
    const first = await startStreamRelayer(chain, { dataDir: dir.path });
    const port = new URL(first.url).port;
    let second: StreamRelayer | undefined;
    try {
      const listener = await fundedListener(chain, DEPOSIT);
      const client = await streamClient(chain, first, listener, { artist: creator, ratePerSecond: 100n, reconnect: { attempts: 50, backoffMs: 100 } });
      const opened = await client.start();
      await sleep(2_200);
      await client.pay();
      const before = client.spent();
      expect(before > 0n).to.equal(true);
      const reopened = new Promise<{ resumed: boolean; cumulativeAmount: string; sessionId: string }>((resolve) => client.on("opened", (frame) => resolve(frame)));
      // Shutdown ends the session as server_shutdown (resumable); the same port and data directory come back.
      await first.close();
      second = await startStreamRelayer(chain, { dataDir: dir.path, env: { PORT: port } });
      const frame = await reopened;
      expect(frame).to.include({ resumed: true, cumulativeAmount: before.toString(), sessionId: opened.sessionId });
      await sleep(1_500);
      const closed = await client.stop();
      expect(closed.reason).to.equal("client_closed");
      const spent = client.spent();
      expect(spent > before).to.equal(true);
      await flushSettlements(second);
      expect(await settledOnChain(chain, { listener: listener.address, artist: creator, sessionId: opened.sessionId })).to.equal(spent);
    } finally {
      await second?.dispose();
      await first.dispose();
      await dir.remove();
    }
  });
});
