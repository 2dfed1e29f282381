/**
 * Stand-ins for what the client touches outside itself: a clock with timers that only move when a test says so, a
 * relayer answering over `fetch` as scripted, and a page (window, document, navigator with sendBeacon).
 */
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createBeatStreamClient, type CreateBeatStreamClientParameters } from "../../client/index.js";

export const MUSIC_NFT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const CHAIN_ID = 31337;
export const START_MS = 1_800_000_000_000;

/** Lets pending promise chains (signing, fetch, storage) run to their next wait. */
export async function settle(turns = 10): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** The error a promise rejects with (undefined when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

export function fakeClock(start = START_MS) {
  let time = start;
  let nextId = 1;
  const scheduled = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => time,
    timers: {
      setTimeout(callback: () => void, ms: number): unknown {
        const id = nextId++;
        scheduled.set(id, { at: time + ms, callback });
        return id;
      },
      clearTimeout(handle: unknown) {
        scheduled.delete(handle as number);
      },
    },
    /** Delays of the timers now waiting, from now. */
    waiting: () => [...scheduled.values()].map((timer) => timer.at - time).sort((a, b) => a - b),
    /** Moves time forward by `ms`, firing each due timer at its own time and letting its work run. */
    async advance(ms: number): Promise<void> {
      const end = time + ms;
      for (;;) {
        await settle();
        const due = [...scheduled.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        scheduled.delete(due[0]);
        time = Math.max(time, due[1].at);
        due[1].callback();
      }
      time = end;
      await settle();
    },
  };
}
export type FakeClock = ReturnType<typeof fakeClock>;

export type RecordedRequest = { url: string; kind: "play" | "engagement"; items: Record<string, unknown>[]; contentType: string | null };
/** One scripted answer: a status (and body), a network failure, or a function of the request. */
export type Reply = "network" | { status: number; body?: unknown; headers?: Record<string, string> } | ((request: RecordedRequest) => Response);

/** A relayer over fetch: answers each request with the next scripted reply, then accepts everything. */
export function fakeRelayer(script: Reply[] = []) {
  const requests: RecordedRequest[] = [];
  let nextId = 0;
  const acceptAll = (request: RecordedRequest) =>
    Response.json(
      { results: request.items.map(() => (request.kind === "play" ? { status: "accepted", id: String(++nextId) } : { status: "accepted", id: String(++nextId), effect: "applied" })) },
      { status: 202 },
    );
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const body = JSON.parse(String(init?.body)) as { plays?: Record<string, unknown>[]; events?: Record<string, unknown>[] };
    const request: RecordedRequest = {
      url,
      kind: url.endsWith("/v1/plays") ? "play" : "engagement",
      items: body.plays ?? body.events ?? [],
      contentType: new Headers(init?.headers).get("content-type"),
    };
    requests.push(request);
    const reply = script.shift();
    if (reply === "network") throw new TypeError("fetch failed");
    if (reply === undefined) return acceptAll(request);
    if (typeof reply === "function") return reply(request);
    return Response.json(reply.body ?? null, { status: reply.status, headers: reply.headers });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests, items: () => requests.flatMap((request) => request.items) };
}

type Listener = () => void;
/** A page: `online`/`pagehide` on window, `visibilitychange` on document, navigator.onLine and sendBeacon recorded. */
export function fakePage({ beaconAccepts = true } = {}) {
  const listeners = new Map<string, Set<Listener>>();
  const target = {
    addEventListener: (type: string, listener: Listener) => listeners.set(type, (listeners.get(type) ?? new Set()).add(listener)),
    removeEventListener: (type: string, listener: Listener) => listeners.get(type)?.delete(listener),
  };
  const beacons: { url: string; type: string; text: Promise<string> }[] = [];
  const page = {
    window: target,
    document: { ...target, visibilityState: "visible" as string },
    navigator: {
      onLine: true,
      sendBeacon(url: string, data: Blob) {
        if (!beaconAccepts) return false;
        beacons.push({ url, type: data.type, text: data.text() });
        return true;
      },
    },
  };
  return {
    environment: page,
    beacons,
    fire: (type: string) => listeners.get(type)?.forEach((listener) => listener()),
    listenerCount: () => [...listeners.values()].reduce((sum, set) => sum + set.size, 0),
  };
}

/** A client over the fake relayer and clock, signing with a fresh key. */
export function testClient(overrides: Partial<CreateBeatStreamClientParameters> & { clock: FakeClock; relayer: ReturnType<typeof fakeRelayer> }) {
  const { clock, relayer, ...rest } = overrides;
  const account = privateKeyToAccount(generatePrivateKey());
  const client = createBeatStreamClient({
    relayerUrl: "http://relayer.test",
    chainId: CHAIN_ID,
    musicNFT: MUSIC_NFT,
    wallet: account,
    fetch: relayer.fetch,
    now: clock.now,
    timers: clock.timers,
    random: () => 0.5,
    environment: null,
    ...rest,
  });
  return { client, account };
}
