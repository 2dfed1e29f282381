/**
 * `beatstream-protocol/client/node`: what only Node has. The browser entry (`beatstream-protocol/client`) imports no
 * Node builtin; this one adds a file store for the offline queue.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseQueuedEvents, type QueueStorage } from "./storage.js";

/**
 * The queue in a JSON file, written to a temporary file and renamed over the old one, so a crash mid-write leaves
 * the previous list whole. Saves are chained: the last call's list is what the file ends with.
 */
export function fileStorage(path: string): QueueStorage {
  let chain: Promise<void> = Promise.resolve();
  let sequence = 0;
  return {
    async load() {
      const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "[]";
        throw error;
      });
      try {
        return parseQueuedEvents(JSON.parse(text));
      } catch {
        return [];
      }
    },
    save(events) {
      const text = `${JSON.stringify(events)}\n`;
      const temporary = `${path}.${process.pid}.${++sequence}.tmp`;
      const written = chain.then(async () => {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(temporary, text);
        await rename(temporary, path);
      });
      // A failed write is the caller's to see (the queue reports it); the next save still runs.
      chain = written.catch(() => undefined);
      return written;
    },
  };
}

export * from "./index.js";
