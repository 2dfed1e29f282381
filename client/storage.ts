/**
 * Where the offline queue keeps signed events that are not yet answered, so a reload, a crash or a night offline
 * loses none of them: the queue saves its whole list after every change and loads it once at start. Lists are small
 * (at most `maxQueued` signed events), so a whole-list write is simpler than a log and as safe.
 */
export type QueuedEvent = {
  /** Which endpoint takes it: `play` → POST /v1/plays, `engagement` → POST /v1/engagement. */
  kind: "play" | "engagement";
  /** The wire item, signed (PlayItem or EngagementItem). */
  item: { nonce: string } & Record<string, unknown>;
  /** Sent before without an answer (a dropped connection, a 5xx): a `duplicate_nonce` now means that send stored it. */
  tried?: boolean;
};

export type QueueStorage = {
  load(): QueuedEvent[] | Promise<QueuedEvent[]>;
  save(events: readonly QueuedEvent[]): void | Promise<void>;
};

/** Keeps the list in memory only: it survives retries and being offline, not a reload. The default. */
export function memoryStorage(): QueueStorage & { events: readonly QueuedEvent[] } {
  let events: readonly QueuedEvent[] = [];
  return {
    get events() {
      return events;
    },
    load: () => [...events],
    save: (next) => {
      events = [...next];
    },
  };
}

/** The part of the Web Storage API the store uses (`window.localStorage`, `sessionStorage`, or a stand-in). */
export type WebStorageLike = { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };

/**
 * A browser's `localStorage` under one key (default `beatstream:queue`); give each wallet its own key when a page
 * signs for several. An unreadable entry (another app's, a truncated write) is dropped rather than blocking the queue.
 */
export function localStorageStorage({ key = "beatstream:queue", storage }: { key?: string; storage?: WebStorageLike } = {}): QueueStorage {
  const store = storage ?? (globalThis as { localStorage?: WebStorageLike }).localStorage;
  if (store === undefined) throw new Error("no localStorage here: pass `storage`, or use memoryStorage()/fileStorage()");
  return {
    load() {
      const text = store.getItem(key);
      if (text === null) return [];
      try {
        return parseQueuedEvents(JSON.parse(text));
      } catch {
        return [];
      }
    },
    save(events) {
      if (events.length === 0) store.removeItem(key);
      else store.setItem(key, JSON.stringify(events));
    },
  };
}

/** Keeps the entries that look like queued events; anything else in a stored list is not ours to send. */
export function parseQueuedEvents(value: unknown): QueuedEvent[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is QueuedEvent =>
      typeof entry === "object" &&
      entry !== null &&
      (entry.kind === "play" || entry.kind === "engagement") &&
      typeof entry.item === "object" &&
      entry.item !== null &&
      typeof entry.item.nonce === "string",
  );
}
