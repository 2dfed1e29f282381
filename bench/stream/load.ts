/**
 * The streaming benchmark's load generator, run as its own process (`node --import tsx bench/stream/load.ts`) so
 * it has its own core: opens SESSIONS sessions with the package's own client over real sockets, each paying every
 * voucher interval with a real signature, and measures each voucher from signing to its ack. Signing uses the native
 * secp256k1 addon behind a viem `toAccount` (viem's own signer manages ≈500 signatures per second, and 10,000
 * sessions need 2,000 per second); the relayer verifies them exactly as it verifies a browser's.
 *
 * Input: the environment variable BENCH_STREAM (JSON). Output: progress lines, and the result as JSON in `resultFile`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { bytesToHex, type Address, type Hex } from "viem";
import { toAccount } from "viem/accounts";
import WebSocket from "ws";
import { loadNativeSecp256k1 } from "../../relayer/src/crypto/signatures.js";
import { createStreamClient, type StreamClient } from "../../relayer/src/stream/client.js";
import { type StreamVoucher } from "../../relayer/src/crypto/eip712.js";
import { createVoucherVerifier } from "../../relayer/src/crypto/signatures.js";

type Input = {
  url: string;
  chainId: number;
  vault: Address;
  artist: Address;
  keysFile: string;
  sessions: number;
  ratePerSecond: string;
  openPerSecond: number;
  warmupSeconds: number;
  measureSeconds: number;
  resultFile: string;
};

const input: Input = JSON.parse(process.env.BENCH_STREAM ?? "{}");
const keys: { key: Hex; address: Address }[] = JSON.parse(readFileSync(input.keysFile, "utf8"));
const secp = loadNativeSecp256k1();
const digestOf = createVoucherVerifier({ chainId: input.chainId, vault: input.vault }).digest;

class NodeWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
  }
}

/** When each voucher was signed, by "session:amount"; its ack closes the measurement. */
const signedAt = new Map<string, number>();
let measuring = false;
const latencies: number[] = [];
let errors = 0;
const errorCodes = new Map<string, number>();
let acks = 0;

const accounts = keys.map(({ key, address }) => {
  const secret = Buffer.from(key.slice(2), "hex");
  return toAccount({
    address,
    async signTypedData(typedData) {
      const message = typedData.message as unknown as StreamVoucher;
      const { signature, recid } = secp.ecdsaSign(digestOf({ ...message, listener: address }), secret);
      const packed = new Uint8Array(65);
      packed.set(signature);
      packed[64] = 27 + recid;
      signedAt.set(`${message.sessionId}:${message.cumulativeAmount}`, performance.now());
      return bytesToHex(packed);
    },
    async signMessage() {
      throw new Error("not used");
    },
    async signTransaction() {
      throw new Error("not used");
    },
  });
});

const clients: StreamClient[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = performance.now();
const log = (line: string) => console.log(`[load ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);

const opening: Promise<unknown>[] = [];
let failedOpens = 0;
for (let index = 0; index < input.sessions; index++) {
  const account = accounts[index % accounts.length]!;
  const client = createStreamClient({
    url: input.url,
    account,
    chainId: input.chainId,
    vault: input.vault,
    artist: input.artist,
    ratePerSecond: BigInt(input.ratePerSecond),
    WebSocket: NodeWebSocket,
    reconnect: { attempts: 0 },
  });
  client.on("ack", (ack) => {
    acks += 1;
    const key = `${client.sessionId()}:${ack.cumulativeAmount}`;
    const at = signedAt.get(key);
    signedAt.delete(key);
    if (measuring && at !== undefined) latencies.push(performance.now() - at);
  });
  client.on("error", (frame) => {
    errors += 1;
    errorCodes.set(frame.code, (errorCodes.get(frame.code) ?? 0) + 1);
  });
  client.on("closed", (frame) => {
    if (frame.reason !== "client_closed") {
      errors += 1;
      errorCodes.set(`closed:${frame.reason}`, (errorCodes.get(`closed:${frame.reason}`) ?? 0) + 1);
    }
  });
  clients.push(client);
  opening.push(
    client.start().catch(() => {
      failedOpens += 1;
    }),
  );
  // Open at a steady pace: a real audience arrives over time, not in one burst.
  if ((index + 1) % Math.max(1, Math.round(input.openPerSecond / 20)) === 0) await sleep(50);
  if ((index + 1) % 1000 === 0) log(`${index + 1} sessions opening`);
}
await Promise.all(opening);
log(`${clients.length - failedOpens} sessions open (${failedOpens} failed); warming up ${input.warmupSeconds} s`);
await sleep(input.warmupSeconds * 1000);
const errorsBefore = errors;
measuring = true;
const cpuBefore = process.cpuUsage();
const windowStart = performance.now();
log(`measuring for ${input.measureSeconds} s`);
await sleep(input.measureSeconds * 1000);
measuring = false;
const windowSeconds = (performance.now() - windowStart) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const errorsInWindow = errors - errorsBefore;
log(`stopping ${clients.length} sessions`);
const closed = await Promise.all(clients.map((client) => client.stop().catch(() => undefined)));
const sessions = clients.map((client, index) => ({
  sessionId: client.sessionId() ?? null,
  listener: accounts[index % accounts.length]!.address,
  spent: client.spent().toString(),
  clean: closed[index]?.reason === "client_closed",
}));
latencies.sort((a, b) => a - b);
const quantile = (q: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
// A file, not stdout: a pipe may not have drained when the process exits.
writeFileSync(
  input.resultFile,
  JSON.stringify({
    opened: clients.length - failedOpens,
    vouchersInWindow: latencies.length,
    vouchersPerSecond: latencies.length / windowSeconds,
    ackP50Ms: quantile(0.5),
    ackP99Ms: quantile(0.99),
    ackMaxMs: latencies.at(-1) ?? 0,
    errors,
    errorsInWindow,
    errorCodes: Object.fromEntries(errorCodes),
    acks,
    loadCpuPercent: ((cpu.user + cpu.system) / 1e6 / windowSeconds) * 100,
    sessions,
  }),
);
console.log("RESULT written");
process.exit(0);
