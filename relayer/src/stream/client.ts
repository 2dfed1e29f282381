/**
 * The streaming client a dApp uses: opens a session on the relayer's `/v1/stream` socket, signs a cumulative
 * `StreamVoucher` every few seconds with a viem account, reconnects and resumes the session after a drop, and
 * tells how much was spent and what is left. Works with the browser's WebSocket, Node 22's global one, or `ws`.
 *
 * The relayer is not trusted with the listener's money: the client signs only for the artist it was asked to pay
 * (or, given only a track, the one the first session named, for every reconnect after), and only what it counts
 * itself — the seconds heard at its own rate on top of what it already signed. An `opened` frame that names another
 * listener, artist or session, or an acknowledged amount above what this client signed, ends the session with
 * `untrusted_relayer` before anything is signed.
 *
 *   const client = createStreamClient({ url: "ws://127.0.0.1:8787/v1/stream", account, chainId, vault, trackId: 1n, ratePerSecond: 100n });
 *   await client.start();
 *   ... client.spent(), client.remaining() ...
 *   await client.stop();
 */
import type { Address, Hex, LocalAccount } from "viem";
import type { AckFrame, ClosedFrame, ErrorFrame, OpenedFrame, TickFrame } from "./frames.js";
import { STREAM_VOUCHER_TYPES, vaultDomain } from "../crypto/eip712.js";

export { STREAM_VOUCHER_TYPES, vaultDomain } from "../crypto/eip712.js";
export type { AckFrame, ClosedFrame, ErrorFrame, OpenedFrame, TickFrame } from "./frames.js";

/** The part of the WebSocket API the client uses; the browser's, Node's global and `ws`'s all fit. */
export type WebSocketLike = {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
};
/** Method syntax makes the parameter bivariant, so each implementation's own event classes fit. */
type Handler<Event> = { handle(event: Event): void }["handle"];
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;

/** Server decisions after which resuming is pointless. */
const FINAL_REASONS = new Set(["client_closed", "insufficient_funds", "underpaid", "replaced"]);

export type StreamClientEvents = {
  opened: OpenedFrame;
  tick: TickFrame;
  ack: AckFrame;
  error: ErrorFrame;
  closed: ClosedFrame;
  reconnecting: { attempt: number; delayMs: number };
};

export type CreateStreamClientParameters = {
  /** `ws://host:port/v1/stream`. */
  url: string;
  /** Signs the vouchers: a viem local account (`privateKeyToAccount`, or `toAccount` around a wallet). */
  account: Pick<LocalAccount, "address" | "signTypedData">;
  chainId: number;
  /** BeatStreamVault's address (the EIP-712 verifying contract). */
  vault: Address;
  /**
   * Whom the session pays: an artist, or a track (its creator is paid). Give both to have the relayer resolve the
   * track and the client check that it names this artist (the web app passes the indexer's creator of the track);
   * a track alone trusts the relayer's reading of its creator.
   */
  artist?: Address;
  trackId?: bigint;
  ratePerSecond: bigint;
  /** Resume this session instead of opening a new one. */
  sessionId?: Hex;
  /**
   * With `sessionId`: the highest cumulative amount this listener signed for it, from the caller's own records. The
   * relayer's acknowledged amount is believed only up to it (default 0: a session resumed without it must be at 0).
   */
  resumeFrom?: bigint;
  /** How long each voucher stays valid, in seconds (must exceed the relayer's minimum; default one day). */
  voucherTtlSeconds?: number;
  /** Never sign more than this in total. */
  maxAmount?: bigint;
  /** Reconnection after a drop: attempts in a row (default 10) and the first delay (doubles each time, default 250 ms). */
  reconnect?: { attempts?: number; backoffMs?: number };
  WebSocket?: WebSocketConstructor;
  now?: () => number;
  /** A number in [0, 1) that places the first voucher after each (re)open (default Math.random; see `payEvery`). */
  random?: () => number;
};

export type StreamClient = {
  /** Opens (or resumes) the session; resolves with the `opened` frame. */
  start(): Promise<OpenedFrame>;
  /** Signs and sends a voucher for everything heard so far and waits for its ack (no-op when nothing new is owed). */
  pay(): Promise<bigint>;
  /** Pays what is owed, closes the session, and resolves with the `closed` frame. */
  stop(): Promise<ClosedFrame>;
  /** The session id once opened. */
  sessionId(): Hex | undefined;
  /** The cumulative amount the relayer has acknowledged (stored). */
  spent(): bigint;
  /** The highest cumulative amount signed so far (lowered again when the relayer refused a voucher). */
  signed(): bigint;
  /** The listener's spendable funds as the relayer last reported them (null until known). */
  remaining(): bigint | null;
  /** Resolves when the session has ended for good (stopped, or refused by the server). */
  ended(): Promise<ClosedFrame>;
  on<Name extends keyof StreamClientEvents>(name: Name, listener: (event: StreamClientEvents[Name]) => void): () => void;
};

export function createStreamClient(parameters: CreateStreamClientParameters): StreamClient {
  const { url, account, chainId, vault, ratePerSecond, voucherTtlSeconds = 86_400, maxAmount, now = Date.now, random = Math.random } = parameters;
  const WebSocketImpl: WebSocketConstructor | undefined = parameters.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocketImpl === undefined) throw new Error("no WebSocket implementation: pass one (e.g. `ws`'s WebSocket)");
  const attempts = parameters.reconnect?.attempts ?? 10;
  const backoffMs = parameters.reconnect?.backoffMs ?? 250;
  const domain = vaultDomain({ chainId, vault });
  const listeners = new Map<keyof StreamClientEvents, Set<(event: never) => void>>();
  const emit = <Name extends keyof StreamClientEvents>(name: Name, event: StreamClientEvents[Name]) => {
    for (const listener of listeners.get(name) ?? []) (listener as (event: StreamClientEvents[Name]) => void)(event);
  };

  let socket: WebSocketLike | undefined;
  let sessionId = parameters.sessionId;
  /** Whom this client agreed to pay: the caller's artist, else the first session's; every later session must name it. */
  let artist = parameters.artist;
  /** The highest cumulative amount this client ever signed, never lowered: what any relayer figure is checked against. */
  let maxSigned = parameters.resumeFrom ?? 0n;
  let opened: OpenedFrame | undefined;
  let spent = 0n;
  let signed = 0n;
  let remaining: bigint | null = null;
  /** Billing restarts at each (re)open from what the relayer acknowledged: time spent disconnected is not heard. */
  let baseAt = 0;
  let baseAmount = 0n;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopping = false;
  let finished: ClosedFrame | undefined;
  let failures = 0;
  const acks = new Map<string, { resolve: (amount: bigint) => void; reject: (error: Error) => void }>();
  /** Vouchers sent and not yet answered: stop() waits for them, so `spent` ends at what the relayer stored. */
  const inFlight = new Set<Promise<bigint>>();
  let resolveEnded: (frame: ClosedFrame) => void = () => {};
  const endedPromise = new Promise<ClosedFrame>((resolve) => (resolveEnded = resolve));
  let openWaiter: { resolve: (frame: OpenedFrame) => void; reject: (error: Error) => void } | undefined;

  const owed = () => {
    const heard = baseAmount + BigInt(Math.max(0, Math.floor((now() - baseAt) / 1000))) * ratePerSecond;
    return maxAmount !== undefined && heard > maxAmount ? maxAmount : heard;
  };

  const sendVoucher = async (): Promise<bigint> => {
    const amount = owed();
    const current = socket;
    if (opened === undefined || current === undefined || amount <= signed || amount <= spent) return spent;
    signed = amount;
    const deadline = BigInt(Math.floor(now() / 1000) + voucherTtlSeconds);
    const signature = await account.signTypedData({
      domain,
      types: STREAM_VOUCHER_TYPES,
      primaryType: "StreamVoucher",
      message: { listener: account.address, artist: opened.artist, sessionId: opened.sessionId, cumulativeAmount: amount, deadline },
    });
    if (amount > maxSigned) maxSigned = amount;
    if (socket !== current || current.readyState !== OPEN) {
      // The connection dropped while signing: the resumed session pays for this time with its next voucher.
      signed = spent;
      return spent;
    }
    const acked = new Promise<bigint>((resolve, reject) => acks.set(amount.toString(), { resolve, reject }));
    inFlight.add(acked);
    acked.then(
      () => inFlight.delete(acked),
      () => inFlight.delete(acked),
    );
    current.send(JSON.stringify({ type: "voucher", cumulativeAmount: amount.toString(), deadline: Number(deadline), signature }));
    return acked;
  };

  // clearTimeout also clears an interval (browsers and Node keep one list of timers).
  const stopPaying = () => clearTimeout(timer);

  /**
   * Pays every `periodMs`, the first time after a random part of a period (between a half and a whole): clients that
   * open or reconnect together — every listener of a relayer that just restarted — would otherwise pay in lockstep,
   * and the relayer would take all their vouchers in the same instant, period after period.
   */
  const payEvery = (periodMs: number) => {
    stopPaying();
    const pay = () => void sendVoucher().catch(() => undefined);
    timer = setTimeout(() => {
      timer = setInterval(pay, periodMs);
      pay();
    }, periodMs * (0.5 + random() / 2));
  };

  const failAcks = (error: Error) => {
    for (const waiter of acks.values()) waiter.reject(error);
    acks.clear();
  };

  const finish = (frame: ClosedFrame) => {
    if (finished !== undefined) return;
    finished = frame;
    stopPaying();
    failAcks(new Error(`session closed: ${frame.reason}`));
    openWaiter?.reject(new Error(`session closed: ${frame.reason}`));
    emit("closed", frame);
    resolveEnded(frame);
  };

  /** Why an `opened` frame cannot be signed for, or undefined when it can. */
  const openedProblem = (o: OpenedFrame): string | undefined => {
    let cumulative: bigint;
    try {
      cumulative = BigInt(o.cumulativeAmount);
    } catch {
      return `the acknowledged amount ${String(o.cumulativeAmount)} is not a number`;
    }
    if (typeof o.listener !== "string" || o.listener.toLowerCase() !== account.address.toLowerCase()) return `the session is for listener ${String(o.listener)}, not ${account.address}`;
    if (typeof o.artist !== "string") return "the session names no artist";
    if (artist !== undefined && o.artist.toLowerCase() !== artist.toLowerCase()) return `the session would pay ${o.artist}, not ${artist}`;
    if (sessionId !== undefined && String(o.sessionId).toLowerCase() !== sessionId.toLowerCase()) return `the session id changed from ${sessionId} to ${String(o.sessionId)}`;
    if (cumulative < 0n || cumulative > maxSigned) return `the relayer counts ${cumulative} as acknowledged, but this client signed at most ${maxSigned}`;
    return undefined;
  };

  /** Ends the session without signing: the relayer said something this client cannot pay for. */
  const distrust = (message: string) => {
    const error: ErrorFrame = { type: "error", code: "untrusted_relayer", message };
    emit("error", error);
    openWaiter?.reject(new Error(`untrusted_relayer: ${message}`));
    openWaiter = undefined;
    const current = socket;
    finish({ type: "closed", reason: "untrusted_relayer", message, cumulativeAmount: spent.toString() });
    current?.close();
  };

  const onFrame = (frame: { type?: unknown } & Record<string, unknown>) => {
    switch (frame.type) {
      case "opened": {
        const o = frame as unknown as OpenedFrame;
        const problem = openedProblem(o);
        if (problem !== undefined) {
          distrust(problem);
          return;
        }
        opened = o;
        sessionId = o.sessionId;
        artist = o.artist;
        spent = BigInt(o.cumulativeAmount);
        if (signed < spent) signed = spent;
        remaining = o.remaining === null ? null : BigInt(o.remaining);
        baseAt = now();
        baseAmount = spent;
        failures = 0;
        payEvery(o.voucherIntervalSeconds * 1000);
        openWaiter?.resolve(o);
        openWaiter = undefined;
        emit("opened", o);
        return;
      }
      case "tick": {
        const t = frame as unknown as TickFrame;
        if (t.remaining !== null) remaining = BigInt(t.remaining);
        emit("tick", t);
        return;
      }
      case "ack": {
        const a = frame as unknown as AckFrame;
        const amount = BigInt(a.cumulativeAmount);
        // Believed only up to what this client signed.
        if (amount > spent && amount <= maxSigned) spent = amount;
        if (a.remaining !== null) remaining = BigInt(a.remaining);
        acks.get(a.cumulativeAmount)?.resolve(amount);
        acks.delete(a.cumulativeAmount);
        emit("ack", a);
        return;
      }
      case "error": {
        const e = frame as unknown as ErrorFrame;
        if (e.ref === "open") {
          openWaiter?.reject(new Error(`${e.code}: ${e.message}`));
          openWaiter = undefined;
        }
        if (e.cumulativeAmount !== undefined) {
          // Signed but refused: the next voucher may sign this amount again.
          if (signed === BigInt(e.cumulativeAmount)) signed = spent;
          acks.get(e.cumulativeAmount)?.reject(new Error(`${e.code}: ${e.message}`));
          acks.delete(e.cumulativeAmount);
        }
        emit("error", e);
        return;
      }
      case "closed": {
        const c = frame as unknown as ClosedFrame;
        // The relayer's final word on what it stored, believed only up to what this client actually signed.
        const stored = BigInt(c.cumulativeAmount);
        if (stored > spent && stored <= signed) spent = stored;
        if (FINAL_REASONS.has(c.reason) || stopping) finish(c);
        return;
      }
    }
  };

  const connect = () => {
    const ws = new WebSocketImpl(url);
    socket = ws;
    ws.onopen = () => {
      // A new session on a track names only the track (the relayer resolves its creator; openedProblem checks it
      // against the artist given); a resume names the artist the session pays.
      const target = sessionId === undefined && parameters.trackId !== undefined ? { trackId: parameters.trackId.toString() } : { artist };
      ws.send(JSON.stringify({ type: "open", listener: account.address, ...target, ratePerSecond: ratePerSecond.toString(), ...(sessionId === undefined ? {} : { sessionId }) }));
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      try {
        onFrame(JSON.parse(event.data));
      } catch {
        // a frame this client does not understand
      }
    };
    ws.onerror = () => {
      // followed by onclose
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      opened = undefined;
      stopPaying();
      failAcks(new Error("connection lost"));
      if (finished !== undefined) return;
      if (stopping) {
        finish({ type: "closed", reason: "client_closed", message: "connection closed while stopping", cumulativeAmount: spent.toString() });
        return;
      }
      failures += 1;
      if (failures > attempts) {
        const error = new Error(`gave up after ${attempts} reconnection attempts`);
        openWaiter?.reject(error);
        openWaiter = undefined;
        finish({ type: "closed", reason: "disconnected", message: error.message, cumulativeAmount: spent.toString() });
        return;
      }
      const delayMs = backoffMs * 2 ** (failures - 1);
      emit("reconnecting", { attempt: failures, delayMs });
      setTimeout(connect, delayMs);
    };
  };

  return {
    start() {
      if (socket !== undefined || finished !== undefined) return Promise.reject(new Error("the client was already started"));
      const result = new Promise<OpenedFrame>((resolve, reject) => (openWaiter = { resolve, reject }));
      connect();
      return result;
    },
    pay: () => sendVoucher(),
    async stop() {
      if (finished !== undefined) return finished;
      stopping = true;
      stopPaying();
      await sendVoucher().catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      stopPaying();
      if (socket !== undefined && socket.readyState === OPEN) socket.send(JSON.stringify({ type: "close" }));
      else {
        // Between connections: no reconnect follows, and the relayer ends the session when it falls silent.
        socket?.close();
        finish({ type: "closed", reason: "client_closed", message: "stopped while disconnected", cumulativeAmount: spent.toString() });
      }
      return endedPromise;
    },
    sessionId: () => sessionId,
    spent: () => spent,
    signed: () => signed,
    remaining: () => remaining,
    ended: () => endedPromise,
    on(name, listener) {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      set.add(listener as (event: never) => void);
      return () => set.delete(listener as (event: never) => void);
    },
  };
}
