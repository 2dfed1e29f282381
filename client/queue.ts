/**
 * The send queue: signed events wait here until the relayer has answered each of them. A batch leaves when 50 events
 * are waiting or 5 s after the first one came, whichever is first. Network errors, 5xx and 429 keep the batch and
 * retry it with exponential backoff and jitter (honouring Retry-After); a 4xx answer, or an item the relayer
 * rejects, is final: it is reported (`onRejected`) and dropped, never retried. The list lives in a `QueueStorage`
 * after every change, so unsent events survive a reload or a crash and go out when the page is back online. When the
 * page is hidden (`visibilitychange` → hidden, `pagehide`) what is waiting leaves by `navigator.sendBeacon`.
 */
import { BeatStreamClientError } from "./errors.js";
import { memoryStorage, type QueuedEvent, type QueueStorage } from "./storage.js";

/** The relayer's answer for one item, or how it left without one. */
export type ItemResult =
  /** Stored; `effect` (engagement only) says whether it changed state (`applied`) or not (`unchanged`). */
  | { status: "accepted"; id: string; effect?: "applied" | "unchanged" }
  /** Refused, with the relayer's code (docs/engagement.md, docs/api.md); nothing was stored. */
  | { status: "rejected"; code: string; message?: string }
  /** An earlier attempt whose answer was lost (a dropped connection, a 5xx after the write) stored it: the relayer now answers `duplicate_nonce`. */
  | { status: "delivered" }
  /** Handed to `navigator.sendBeacon` as the page was hidden: the browser delivers it, no answer comes back. */
  | { status: "beaconed" };

export type Timers = { setTimeout(callback: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };

type Listener = () => void;
type EventTargetLike = { addEventListener(type: string, listener: Listener): void; removeEventListener(type: string, listener: Listener): void };

/** The browser objects the queue uses; in Node they are absent and the queue only sends by fetch. */
export type BrowserEnvironment = {
  /** `online` and `pagehide` are listened to here. */
  window?: EventTargetLike;
  /** `visibilitychange` is listened to here. */
  document?: EventTargetLike & { readonly visibilityState?: string };
  navigator?: { readonly onLine?: boolean; sendBeacon?(url: string, data: Blob): boolean };
};

export type QueueRejection = { code: string; message?: string; event: QueuedEvent };

export type CreateEventQueueParameters = {
  /** The relayer's base URL, e.g. `http://127.0.0.1:8787`. */
  relayerUrl: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Default: memoryStorage(). In a browser `localStorageStorage()`, in Node `fileStorage(path)` from `…/client/node`. */
  storage?: QueueStorage;
  /** Events per request (default 50). */
  maxBatch?: number;
  /** How long the first waiting event waits for company before its batch leaves (default 5,000 ms). */
  maxDelayMs?: number;
  /** Events the queue holds at most; past it, signing throws `queue_full` (default 10,000). */
  maxQueued?: number;
  /** Backoff: the first retry waits about `baseMs`, each next one twice as long, never more than `maxMs` (defaults 1,000 and 60,000). */
  retry?: { baseMs?: number; maxMs?: number };
  random?: () => number;
  timers?: Timers;
  /** Default: the page's window, document and navigator when there are any; `null` for none. */
  environment?: BrowserEnvironment | null;
  /** Every item's final answer, also for events restored from storage whose caller is gone. */
  onResult?: (result: ItemResult, event: QueuedEvent) => void;
  /** Items the relayer refused (a 4xx item code or a whole-request 4xx): final, never retried. */
  onRejected?: (rejection: QueueRejection) => void;
  /** A retryable failure and when the next attempt comes. */
  onRetry?: (retry: { attempt: number; delayMs: number; error: string }) => void;
  /** A storage write failed (the events are still queued in memory). */
  onStorageError?: (error: unknown) => void;
};

export type EventQueue = {
  /** Queues a signed event; resolves with its answer once there is one (it waits through retries and offline time). */
  enqueue(event: QueuedEvent): Promise<ItemResult>;
  /** Sends everything waiting now, in batches, and resolves when each batch has an answer or a retryable failure; returns how many still wait. */
  flush(): Promise<number>;
  /** Hands everything waiting (and not in flight) to `navigator.sendBeacon`; returns how many left. */
  beacon(): number;
  /** Events waiting (including those in flight). */
  size(): number;
  /** Resolves once the stored events are loaded back. */
  ready: Promise<void>;
  /** Stops timers and page listeners; waiting events stay in storage for the next start. Resolves when the last write is done. */
  close(): Promise<void>;
};

/** Beacon bodies stay under the 64 KiB the browsers allow for all beacons in flight together. */
const BEACON_BYTES = 60_000;

export function createEventQueue(parameters: CreateEventQueueParameters): EventQueue {
  const {
    relayerUrl,
    storage = memoryStorage(),
    maxBatch = 50,
    maxDelayMs = 5_000,
    maxQueued = 10_000,
    random = Math.random,
    onResult,
    onRejected,
    onRetry,
    onStorageError,
  } = parameters;
  const fetchImpl = parameters.fetch ?? ((input: string | URL | Request, init?: RequestInit) => globalThis.fetch(input, init));
  const timers: Timers = parameters.timers ?? { setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms), clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>) };
  const baseMs = parameters.retry?.baseMs ?? 1_000;
  const maxMs = parameters.retry?.maxMs ?? 60_000;
  const environment = parameters.environment === null ? {} : (parameters.environment ?? pageEnvironment());
  const base = relayerUrl.replace(/\/+$/, "");
  const urlOf = (kind: QueuedEvent["kind"]) => `${base}/v1/${kind === "play" ? "plays" : "engagement"}`;

  type Entry = { key: string; event: QueuedEvent };
  const pending: Entry[] = [];
  /** Who waits for each event's answer (the same signed event queued twice is sent once, answered to both). */
  const waiters = new Map<string, ((result: ItemResult) => void)[]>();
  const inFlight = new Set<string>();
  let batchTimer: unknown;
  let retryTimer: unknown;
  let attempt = 0;
  let draining: Promise<void> | undefined;
  let closed = false;
  let saving: Promise<void> = Promise.resolve();
  /** Events being stored by enqueue(): a flush waits for them. */
  const adding = new Set<Promise<void>>();

  const keyOf = (event: QueuedEvent) => `${event.kind}:${event.item.nonce.toLowerCase()}`;

  const persist = (): Promise<void> => {
    const snapshot = pending.map((entry) => entry.event);
    // Writes are chained so that the last list written is the newest, whatever each write costs.
    saving = saving.then(async () => {
      try {
        await storage.save(snapshot);
      } catch (error) {
        onStorageError?.(error);
      }
    });
    return saving;
  };

  const ready = (async () => {
    const restored = await storage.load();
    const known = new Set(pending.map((entry) => entry.key));
    const earlier = restored.map((event) => ({ key: keyOf(event), event })).filter((entry) => !known.has(entry.key));
    pending.unshift(...earlier);
    if (earlier.length > 0) {
      await persist();
      schedule();
    }
  })();

  const settle = (entry: Entry, result: ItemResult) => {
    const index = pending.indexOf(entry);
    if (index >= 0) pending.splice(index, 1);
    onResult?.(result, entry.event);
    if (result.status === "rejected") onRejected?.({ code: result.code, message: result.message, event: entry.event });
    for (const resolve of waiters.get(entry.key) ?? []) resolve(result);
    waiters.delete(entry.key);
  };

  const offline = () => environment.navigator?.onLine === false && environment.window !== undefined;

  function schedule(): void {
    if (closed || retryTimer !== undefined || draining !== undefined || pending.length === 0) return;
    if (pending.length >= maxBatch) {
      void drain(false);
    } else if (batchTimer === undefined) {
      batchTimer = timers.setTimeout(() => {
        batchTimer = undefined;
        void drain(false);
      }, maxDelayMs);
    }
  }

  function retryLater(error: string, retryAfterMs: number | undefined): void {
    attempt += 1;
    const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
    // "Equal jitter": half the delay is fixed, half random, so clients that failed together do not return together.
    const delayMs = Math.max(Math.round(ceiling / 2 + random() * (ceiling / 2)), retryAfterMs ?? 0);
    onRetry?.({ attempt, delayMs, error });
    retryTimer = timers.setTimeout(() => {
      retryTimer = undefined;
      void drain(true);
    }, delayMs);
  }

  /** Sends one group of same-kind entries; false when the failure is retryable (the entries stay queued). */
  async function post(kind: QueuedEvent["kind"], group: Entry[]): Promise<boolean> {
    const body = JSON.stringify(kind === "play" ? { plays: group.map((entry) => entry.event.item) } : { events: group.map((entry) => entry.event.item) });
    for (const entry of group) inFlight.add(entry.key);
    let response: Response;
    try {
      // keepalive lets the request finish when the page unloads mid-flight (browsers cap such bodies at 64 KiB).
      response = await fetchImpl(urlOf(kind), { method: "POST", headers: { "content-type": "application/json" }, body, keepalive: body.length < BEACON_BYTES });
    } catch (error) {
      markTried(group);
      retryLater(error instanceof Error ? error.message : String(error), undefined);
      return false;
    } finally {
      for (const entry of group) inFlight.delete(entry.key);
    }
    const answer = (await response.json().catch(() => undefined)) as { results?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
    if (response.status === 429 || response.status >= 500) {
      markTried(group);
      retryLater(`HTTP ${response.status}`, retryAfterMs(response.headers.get("retry-after")));
      return false;
    }
    if (response.status === 202 && Array.isArray(answer?.results) && answer.results.length === group.length) {
      const results = answer.results as unknown[];
      group.forEach((entry, index) => settle(entry, itemResult(results[index], entry.event.tried === true)));
      return true;
    }
    if (response.status >= 400 && response.status < 500) {
      const code = typeof answer?.error?.code === "string" ? answer.error.code : `http_${response.status}`;
      const message = typeof answer?.error?.message === "string" ? answer.error.message : undefined;
      for (const entry of group) settle(entry, { status: "rejected", code, message });
      return true;
    }
    // A 2xx that is not the relayer's answer (a captive portal, a proxy page): not final, try again later.
    markTried(group);
    retryLater(`unexpected answer HTTP ${response.status}`, undefined);
    return false;
  }

  /** Entries whose fate is unknown: if the relayer stored them after all, their resend answers `duplicate_nonce`. */
  function markTried(group: Entry[]): void {
    for (const entry of group) entry.event = { ...entry.event, tried: true };
  }

  /** One drain at a time; `all` sends every waiting event, otherwise only full batches (the timer takes the rest). */
  function drain(all: boolean): Promise<void> {
    if (draining !== undefined) return draining.then(() => (all ? drain(true) : undefined));
    if (batchTimer !== undefined) {
      timers.clearTimeout(batchTimer);
      batchTimer = undefined;
    }
    draining = (async () => {
      await ready;
      let first = true;
      while (!closed && pending.length > 0 && (all || first || pending.length >= maxBatch)) {
        first = false;
        if (offline()) return;
        const batch = pending.slice(0, maxBatch);
        const plays = batch.filter((entry) => entry.event.kind === "play");
        const events = batch.filter((entry) => entry.event.kind === "engagement");
        let ok = true;
        if (plays.length > 0) ok = await post("play", plays);
        if (ok && events.length > 0) ok = await post("engagement", events);
        await persist();
        if (!ok) return;
        attempt = 0;
      }
    })().finally(() => {
      draining = undefined;
      schedule();
    });
    return draining;
  }

  const onOnline = () => {
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    retryTimer = undefined;
    attempt = 0;
    void drain(true);
  };
  const onHidden = () => {
    if (environment.document?.visibilityState === undefined || environment.document.visibilityState === "hidden") hide();
  };
  const hide = () => {
    if (beacon() === 0 && pending.length > 0 && environment.navigator?.sendBeacon === undefined) void drain(true);
  };
  environment.window?.addEventListener("online", onOnline);
  environment.window?.addEventListener("pagehide", hide);
  environment.document?.addEventListener("visibilitychange", onHidden);

  function beacon(): number {
    const navigator = environment.navigator;
    if (navigator?.sendBeacon === undefined || closed) return 0;
    let sent = 0;
    for (const kind of ["play", "engagement"] as const) {
      const waiting = pending.filter((entry) => entry.event.kind === kind && !inFlight.has(entry.key));
      while (waiting.length > 0) {
        const chunk: Entry[] = [];
        let bytes = 20;
        while (waiting.length > 0 && chunk.length < maxBatch) {
          const size = JSON.stringify(waiting[0]!.event.item).length + 1;
          if (chunk.length > 0 && bytes + size > BEACON_BYTES) break;
          bytes += size;
          chunk.push(waiting.shift()!);
        }
        const body = JSON.stringify(kind === "play" ? { plays: chunk.map((entry) => entry.event.item) } : { events: chunk.map((entry) => entry.event.item) });
        // text/plain is a CORS-safelisted type: a beacon with it needs no preflight (the relayer reads it as JSON).
        if (!navigator.sendBeacon(urlOf(kind), new Blob([body], { type: "text/plain;charset=UTF-8" }))) break;
        for (const entry of chunk) settle(entry, { status: "beaconed" });
        sent += chunk.length;
      }
    }
    if (sent > 0) void persist();
    return sent;
  }

  return {
    ready,
    enqueue(event) {
      if (closed) return Promise.reject(new BeatStreamClientError("closed", "the queue is closed"));
      const key = keyOf(event);
      let resolveAnswer: (result: ItemResult) => void = () => undefined;
      const answered = new Promise<ItemResult>((resolve) => (resolveAnswer = resolve));
      waiters.set(key, [...(waiters.get(key) ?? []), resolveAnswer]);
      // Registered at once, so a flush() called right after enqueue() waits for this event to be stored and sends it.
      const added = (async () => {
        await ready;
        if (!pending.some((entry) => entry.key === key)) {
          if (pending.length >= maxQueued) {
            waiters.set(key, (waiters.get(key) ?? []).filter((waiter) => waiter !== resolveAnswer));
            throw new BeatStreamClientError("queue_full", `the queue holds ${maxQueued} events already`);
          }
          pending.push({ key, event });
          await persist();
        }
        schedule();
      })();
      adding.add(added);
      const done = () => void adding.delete(added);
      added.then(done, done);
      return added.then(() => answered);
    },
    async flush() {
      if (retryTimer !== undefined) {
        // An explicit flush is a new attempt now, not a wait for the backoff.
        timers.clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      await Promise.allSettled([...adding]);
      await drain(true);
      await saving;
      return pending.length;
    },
    beacon,
    size: () => pending.length,
    close() {
      closed = true;
      const stored = saving;
      for (const timer of [batchTimer, retryTimer]) if (timer !== undefined) timers.clearTimeout(timer);
      batchTimer = retryTimer = undefined;
      environment.window?.removeEventListener("online", onOnline);
      environment.window?.removeEventListener("pagehide", hide);
      environment.document?.removeEventListener("visibilitychange", onHidden);
      return stored;
    },
  };
}

/** One item of a 202 answer as the SDK reports it; a `duplicate_nonce` for an event sent before means that send stored it. */
function itemResult(value: unknown, tried: boolean): ItemResult {
  const result = (typeof value === "object" && value !== null ? value : {}) as { status?: unknown; id?: unknown; effect?: unknown; code?: unknown; message?: unknown };
  if (result.status === "accepted" && typeof result.id === "string") {
    return result.effect === "applied" || result.effect === "unchanged" ? { status: "accepted", id: result.id, effect: result.effect } : { status: "accepted", id: result.id };
  }
  const code = typeof result.code === "string" ? result.code : "invalid_answer";
  if (tried && code === "duplicate_nonce") return { status: "delivered" };
  return { status: "rejected", code, ...(typeof result.message === "string" ? { message: result.message } : {}) };
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The page's objects when running in a browser; nothing in Node (its `navigator` has no onLine and no sendBeacon). */
function pageEnvironment(): BrowserEnvironment {
  const scope = globalThis as { window?: EventTargetLike; document?: BrowserEnvironment["document"]; navigator?: BrowserEnvironment["navigator"] };
  return { window: scope.window, document: scope.document, navigator: scope.navigator };
}
