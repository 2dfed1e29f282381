import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Address } from "viem";
import { VerifierPoolError } from "../errors.js";
import { playDomainSeparator, voucherDomainSeparator, type PlayDomainParameters } from "./eip712.js";
import { CHECK_RESULT_BYTES, DIGEST_RECORD_BYTES, PLAY_RECORD_BYTES, VOUCHER_RECORD_BYTES } from "./native.js";
import {
  createDigestVerifier,
  createPlayVerifier,
  packDigests,
  createVoucherVerifier,
  packPlays,
  packVoucher,
  readChecks,
  type DigestSignatureChecker,
  type PlaySignatureChecker,
  type SignatureCheck,
  type VoucherToCheck,
} from "./signatures.js";

export type CreateVerifierPoolParameters = PlayDomainParameters & {
  /** Worker threads; 0 checks on the calling thread. Defaults to the machine's parallelism. */
  threads?: number;
  /** Fewest plays worth a thread of their own: below it a request's plays stay in one message. */
  minChunk?: number;
  /** BeatStreamVault, when stream vouchers are checked here too. */
  vault?: Address;
};

export type VerifierPool = PlaySignatureChecker & DigestSignatureChecker & {
  readonly threads: number;
  /** Whether each voucher carries its listener's signature (BeatStreamVault's rule); needs `vault`. */
  checkVouchers(vouchers: readonly VoucherToCheck[]): Promise<boolean[]>;
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
export function createVerifierPool({ threads = availableParallelism(), minChunk = 16, vault, ...domain }: CreateVerifierPoolParameters): VerifierPool {
  const voucherDomain = vault === undefined ? undefined : { chainId: domain.chainId, vault };
  const noVault = () => new VerifierPoolError("this signature-check pool was built without a vault: it checks plays only");
  if (threads <= 0) {
    const inline = createPlayVerifier(domain);
    const digests = createDigestVerifier();
    const vouchers = voucherDomain === undefined ? undefined : createVoucherVerifier(voucherDomain);
    return {
      threads: 0,
      check: (plays) => inline.check(plays),
      checkDigests: (items) => digests.checkDigests(items),
      async checkVouchers(items) {
        if (vouchers === undefined) throw noVault();
        return items.map(({ voucher, signature }) => vouchers.verify(voucher, signature));
      },
      close: async () => {},
    };
  }
  const domainSeparator = playDomainSeparator(domain);
  const voucherSeparator = voucherDomain === undefined ? undefined : voucherDomainSeparator(voucherDomain);
  let nextId = 0;
  let closed = false;
  const pool: Thread[] = Array.from({ length: threads }, () => startThread());

  function startThread(): Thread {
    const worker = new Worker(new URL("./verify-worker.js", import.meta.url), { workerData: { domainSeparator, voucherDomainSeparator: voucherSeparator } });
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

  /** One message of `count` packed records to the least-loaded thread; its answer buffer. */
  function send(kind: "plays" | "digests" | "vouchers", count: number, pack: (target: Buffer<ArrayBuffer>) => void, recordBytes: number): Promise<Buffer> {
    const thread = pool.reduce((best, candidate) => (candidate.load < best.load ? candidate : best));
    const records = new ArrayBuffer(count * recordBytes);
    pack(Buffer.from(records));
    const id = nextId++;
    thread.load += count;
    return new Promise<Buffer>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, kind, records, count }, [records]);
    }).finally(() => {
      thread.load -= count;
    });
  }

  /** `items` split over the threads (chunks of at least `minChunk`), answers concatenated in order. */
  async function spread<T>(items: readonly T[], check: (part: readonly T[]) => Promise<Buffer>): Promise<Buffer[]> {
    const chunks = Math.max(1, Math.min(threads, Math.floor(items.length / minChunk)));
    const size = Math.ceil(items.length / chunks);
    return Promise.all(Array.from({ length: chunks }, (_, index) => check(items.slice(index * size, (index + 1) * size))));
  }

  return {
    threads,
    async check(plays): Promise<SignatureCheck[]> {
      if (closed) throw new VerifierPoolError("the signature-check pool is closed");
      if (plays.length === 0) return [];
      const parts = await spread(plays, (part) => send("plays", part.length, (target) => packPlays(part, target), PLAY_RECORD_BYTES));
      return parts.flatMap((output) => readChecks(output, output.length / CHECK_RESULT_BYTES));
    },
    async checkDigests(items): Promise<SignatureCheck[]> {
      if (closed) throw new VerifierPoolError("the signature-check pool is closed");
      if (items.length === 0) return [];
      const parts = await spread(items, (part) => send("digests", part.length, (target) => packDigests(part, target), DIGEST_RECORD_BYTES));
      return parts.flatMap((output) => readChecks(output, output.length / CHECK_RESULT_BYTES));
    },
    async checkVouchers(items) {
      if (closed) throw new VerifierPoolError("the signature-check pool is closed");
      if (voucherSeparator === undefined) throw noVault();
      if (items.length === 0) return [];
      const parts = await spread(items, (part) =>
        send("vouchers", part.length, (target) => part.forEach(({ voucher, signature }, index) => packVoucher(voucher, signature, target, index * VOUCHER_RECORD_BYTES)), VOUCHER_RECORD_BYTES),
      );
      // A signature of the wrong length is left as zeros, which never recovers (r = 0): refused.
      return parts.flatMap((output) => [...output].map((byte) => byte === 1));
    },
    async close() {
      closed = true;
      await Promise.all(pool.map((thread) => thread.worker.terminate()));
    },
  };
}
