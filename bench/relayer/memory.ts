/**
 * The relayer process's RSS split by part, from outside the process (/proc/<pid>/smaps) and from its threads' V8
 * heaps (bench/relayer/memory-probe.ts, preloaded into it). RSS is per process on Linux — threads share one address
 * space — so each part is the resident size of the memory that part owns:
 *
 * - `pgliteWasm`: PGlite's WebAssembly linear memory (the embedded PostgreSQL's heap: shared buffers, catalog
 *   caches, work memory and, for an in-memory database, the data). V8 reserves 8–10 GiB of address space for each
 *   32-bit WASM memory (4 GiB and guard regions) and commits its start: the resident part of every read-write
 *   mapping that opens such a reservation. PGlite is the only WebAssembly in the relayer.
 * - `heap.<thread>`: each thread's V8 heap in RAM (`total_physical_size`): main (HTTP, WebSocket, batcher), each
 *   signature-check worker (verify), the PGlite thread's JavaScript (pglite).
 * - `mallocArenas`: native allocations (glibc's heap and per-thread arenas): Node's buffers and sockets, the
 *   secp256k1 addon, V8's own bookkeeping. Also attributed to no single thread.
 * - `files`: mapped files (the node binary, libraries, the addon), shared with other processes.
 * - `other`: the rest of the anonymous memory (thread stacks, V8 code space, array buffers outside the heaps).
 */
import { readFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import type { MemoryProbeReply, ThreadHeap } from "./memory-probe.js";

export type MemoryBreakdown = {
  rssMb: number;
  pgliteWasmMb: number;
  /** V8 heap in RAM per thread kind (summed over the threads of that kind), with how many threads. */
  heaps: Record<string, { threads: number; physicalMb: number; usedMb: number }>;
  mallocArenasMb: number;
  filesMb: number;
  otherMb: number;
};

const MB = 2 ** 20;
/** The least address space V8 reserves for a 32-bit WASM memory with guard regions. */
const WASM_RESERVATION = 8 * 2 ** 30;
/** glibc's per-thread arenas are 64 MiB heaps, 64 MiB-aligned (HEAP_MAX_SIZE on 64-bit). */
const ARENA = 64 * MB;

/** Asks the probe in `child` for its threads' heaps. */
export function askProbe(child: ChildProcess, timeoutMs = 10_000): Promise<MemoryProbeReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error("the relayer's memory probe did not answer"))), timeoutMs);
    const onMessage = (message: MemoryProbeReply) => {
      if (message?.type === "memory") finish(() => resolve(message));
    };
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      settle();
    };
    child.on("message", onMessage);
    child.send({ type: "memory" });
  });
}

type Mapping = { start: number; end: number; perms: string; path: string; rssBytes: number };

function mappings(pid: number): Mapping[] {
  return readFileSync(`/proc/${pid}/smaps`, "utf8")
    .split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)
    .map((block) => {
      const [head = ""] = block.split("\n");
      const [range = "", perms = "", , , , path = ""] = head.split(/\s+/);
      const [start = 0, end = 0] = range.split("-").map((hex) => parseInt(hex, 16));
      return { start, end, perms, path, rssBytes: Number(/\nRss:\s+(\d+) kB/.exec(block)?.[1] ?? 0) * 1024 };
    });
}

/** The process's RSS by part (see the file's header), from /proc and the probe's reply. */
export function memoryBreakdown(pid: number, probe: MemoryProbeReply): MemoryBreakdown {
  const maps = mappings(pid);
  let wasm = 0;
  let arenas = 0;
  let files = 0;
  let anonymous = 0;
  maps.forEach((map, index) => {
    const next = maps[index + 1];
    if (map.path !== "" && map.path !== "[heap]" && !map.path.startsWith("[stack")) files += map.rssBytes;
    else anonymous += map.rssBytes;
    if (map.path === "[heap]") arenas += map.rssBytes;
    if (map.path !== "" || !map.perms.startsWith("rw")) return;
    const reservationEnd = next !== undefined && next.start === map.end && next.perms.startsWith("---") ? next.end : map.end;
    if (reservationEnd - map.start >= WASM_RESERVATION) wasm += map.rssBytes;
    else if (map.start % ARENA === 0 && reservationEnd - map.start === ARENA) arenas += map.rssBytes;
  });
  const heaps: MemoryBreakdown["heaps"] = {};
  let heapBytes = 0;
  for (const thread of probe.threads as ThreadHeap[]) {
    const entry = (heaps[thread.kind] ??= { threads: 0, physicalMb: 0, usedMb: 0 });
    entry.threads += 1;
    entry.physicalMb += thread.physicalBytes / MB;
    entry.usedMb += thread.usedBytes / MB;
    heapBytes += thread.physicalBytes;
  }
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  const round = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
  for (const entry of Object.values(heaps)) {
    entry.physicalMb = Math.round(entry.physicalMb * 10) / 10;
    entry.usedMb = Math.round(entry.usedMb * 10) / 10;
  }
  return {
    rssMb: round(rss),
    pgliteWasmMb: round(wasm),
    heaps,
    mallocArenasMb: round(arenas),
    filesMb: round(files),
    // V8 heaps live in anonymous mappings too: what is left of the anonymous memory after WASM, arenas and heaps.
    otherMb: round(Math.max(0, anonymous - wasm - arenas - heapBytes)),
  };
}
