/**
 * Preloaded into the relayer process by the benchmarks (`node --import tsx --import ./bench/relayer/memory-probe.ts`,
 * see bench/shared.ts `startRelayerProcess({ memoryProbe: true })`), never by the relayer itself. It keeps a
 * reference to every worker thread the process starts and answers `{ type: "memory" }` on the IPC channel with
 * each thread's V8 heap, so the benchmark can split the process's RSS by part without a line of relayer code:
 *
 * - main thread: `v8.getHeapStatistics()` and `process.memoryUsage()` here;
 * - each worker (signature checks: verify-worker.js, the embedded database: pglite-worker.js): its isolate's heap,
 *   read from this thread with `worker.getHeapStatistics()` (Node ≥ 22.16), no message to the worker's own code.
 *
 * RSS itself is per process, not per thread; the benchmark reads it and PGlite's WASM memory (not on any V8 heap)
 * from /proc (memoryBreakdown in bench/shared.ts).
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { getHeapStatistics } from "node:v8";
import { isMainThread } from "node:worker_threads";

/** One thread's heap: what V8 holds in RAM for it (physical), and what its objects use of that. */
export type ThreadHeap = { kind: string; physicalBytes: number; usedBytes: number; externalBytes: number };
export type MemoryProbeReply = { type: "memory"; threads: ThreadHeap[]; arrayBuffersBytes: number };

type HeapStats = { total_physical_size: number; used_heap_size: number; external_memory?: number };
type TrackedWorker = { kind: string; getHeapStatistics(): Promise<HeapStats> };

if (isMainThread && typeof process.send === "function") {
  const threads = createRequire(import.meta.url)("node:worker_threads") as typeof import("node:worker_threads");
  const Base = threads.Worker;
  const live = new Set<TrackedWorker>();
  // Subclassing keeps every behaviour of Worker; syncBuiltinESMExports makes `import { Worker }` see the subclass.
  threads.Worker = class ProbedWorker extends Base {
    constructor(...args: ConstructorParameters<typeof Base>) {
      super(...args);
      const file = String(args[0]);
      const tracked = Object.assign(this, { kind: /pglite/.test(file) ? "pglite" : /verify/.test(file) ? "verify" : file.split("/").pop()! }) as unknown as TrackedWorker;
      live.add(tracked);
      this.once("exit", () => live.delete(tracked));
    }
  };
  syncBuiltinESMExports();

  const heap = (kind: string, stats: HeapStats): ThreadHeap => ({ kind, physicalBytes: stats.total_physical_size, usedBytes: stats.used_heap_size, externalBytes: stats.external_memory ?? 0 });
  process.on("message", async (message: { type?: string }) => {
    if (message?.type !== "memory") return;
    const workers = await Promise.all([...live].map(async (worker) => heap(worker.kind, await worker.getHeapStatistics().catch(() => ({ total_physical_size: 0, used_heap_size: 0 })))));
    const reply: MemoryProbeReply = { type: "memory", threads: [heap("main", getHeapStatistics() as HeapStats), ...workers], arrayBuffersBytes: process.memoryUsage().arrayBuffers };
    process.send?.(reply);
  });
  // The channel must not keep a relayer alive that is shutting down.
  process.channel?.unref();
}
