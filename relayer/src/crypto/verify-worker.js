// A signature-check thread: receives packed play, digest or stream voucher records, answers validity (and, for plays, the
// signature hashes). Plain JavaScript so the thread needs no TypeScript loader; see native.js.
import { parentPort, workerData } from "node:worker_threads";
import { CHECK_RESULT_BYTES, createDigestChecker, createPlayChecker, createVoucherChecker } from "./native.js";

const plays = createPlayChecker(Buffer.from(workerData.domainSeparator));
const digests = createDigestChecker();
const vouchers = workerData.voucherDomainSeparator === undefined ? undefined : createVoucherChecker(Buffer.from(workerData.voucherDomainSeparator));

parentPort.on("message", ({ id, kind, records, count }) => {
  const input = Buffer.from(records);
  let output;
  if (kind === "vouchers") {
    output = Buffer.alloc(count);
    vouchers.checkRecords(input, count, output);
  } else if (kind === "digests") {
    output = Buffer.alloc(count * CHECK_RESULT_BYTES);
    digests.checkRecords(input, count, output);
  } else {
    output = Buffer.alloc(count * CHECK_RESULT_BYTES);
    plays.checkRecords(input, count, output);
  }
  // The result buffer is handed over, not copied.
  parentPort.postMessage({ id, results: output.buffer }, [output.buffer]);
});
