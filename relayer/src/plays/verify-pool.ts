import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { VerifierPoolError } from "../errors.js";
import { CHECK_RESULT_BYTES, PLAY_RECORD_BYTES } from "./native.js";
import {
  createPlayVerifier,
  packPlays,
  playDomainSeparator,
  readChecks,
  type PlayDomainParameters,
  type PlaySignatureChecker,
  type SignatureCheck,
  type SignedPlay,
} from "./verify.js";

export type CreateVerifierPoolParameters = PlayDomainParameters & {
  /** Worker threads; 0 checks on the calling thread. Defaults to the machine's parallelism. */
  threads?: number;
  /** Fewest plays worth a thread of their own: below it a request's plays stay in one message. */
  minChunk?: number;
};

export type VerifierPool = PlaySignatureChecker & {
  readonly threads: number;
  close(): Promise<void>;
};

type Pending = { resolve: (output: Buffer) => void; reject: (error: Error) => void };
type Thread = { worker: Worker; pending: Map<number, Pending>; load: number };

/**
 * Signature checks on worker threads. A recovery costs ≈90 µs of native code per play: on the HTTP thread it would
 * cap the relayer at one core, so each request's plays are packed into one buffer per thread (161 bytes a play,
 * transferred, not copied), checked in parallel, and the answers (validity + signature hash) come back the same
 * way. Chunks go to the least-loaded thread, so a burst of requests spreads over every core.
 */
export function createVerifierPool({ threads = availableParallelism(), minChunk = 16, ...domain }: CreateVerifierPoolParameters): VerifierPool {
  if (threads <= 0) {
    const inline = createPlayVerifier(domain);
    return { threads: 0, check: (plays) => inline.check(plays), close: async () => {} };
  }
  const domainSeparator = playDomainSeparator(domain);
  let nextId = 0;
  let closed = false;
  const pool: Thread[] = Array.from({ length: threads }, () => startThread());

  function startThread(): Thread {
    const worker = new Worker(new URL("./verify-worker.js", import.meta.url), { workerData: { domainSeparator } });
    const thread: Thread = { worker, pending: new Map(), load: 0 };
    worker.on("message", ({ id, results }: { id: number; results: ArrayBuffer }) => {
      const entry = thread.pending.get(id);
      if (entry === undefined) return;
      thread.pending.delete(id);
      if (thread.pending.size === 0) worker.unref();
      entry.resolve(Buffer.from(results));
    });
    const fail = (error: Error) => {
      for (const entry of thread.pending.values()) entry.reject(new VerifierPoolError("a signature-check thread stopped", error));
      thread.pending.clear();
      thread.load = 0;
      // A replacement keeps the pool at full strength; a thread that cannot start at all fails its first check.
      if (!closed) pool[pool.indexOf(thread)] = startThread();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!closed) fail(new Error(`exited with code ${code}`));
    });
    // An idle thread must not keep a process alive that is otherwise done (CLI commands, tests); a busy one must.
    worker.unref();
    return thread;
  }

  function send(plays: readonly SignedPlay[]): Promise<Buffer> {
    const thread = pool.reduce((best, candidate) => (candidate.load < best.load ? candidate : best));
    const records = new ArrayBuffer(plays.length * PLAY_RECORD_BYTES);
    packPlays(plays, Buffer.from(records));
    const id = nextId++;
    thread.load += plays.length;
    return new Promise<Buffer>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, records, count: plays.length }, [records]);
    }).finally(() => {
      thread.load -= plays.length;
    });
  }

  return {
    threads,
    async check(plays): Promise<SignatureCheck[]> {
      if (closed) throw new VerifierPoolError("the signature-check pool is closed");
      if (plays.length === 0) return [];
      const chunks = Math.max(1, Math.min(threads, Math.floor(plays.length / minChunk)));
      const size = Math.ceil(plays.length / chunks);
      const parts = await Promise.all(
        Array.from({ length: chunks }, (_, index) => send(plays.slice(index * size, (index + 1) * size))),
      );
      return parts.flatMap((output) => readChecks(output, output.length / CHECK_RESULT_BYTES));
    },
    async close() {
      closed = true;
      await Promise.all(pool.map((thread) => thread.worker.terminate()));
    },
  };
}
