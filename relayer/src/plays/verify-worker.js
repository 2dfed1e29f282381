// A signature-check thread: receives packed play records, answers validity and signature hashes. Plain JavaScript
// so the thread needs no TypeScript loader; see native.js.
import { parentPort, workerData } from "node:worker_threads";
import { CHECK_RESULT_BYTES, createPlayChecker } from "./native.js";

const checker = createPlayChecker(Buffer.from(workerData.domainSeparator));

parentPort.on("message", ({ id, records, count }) => {
  const output = Buffer.alloc(count * CHECK_RESULT_BYTES);
  checker.checkRecords(Buffer.from(records), count, output);
  // The result buffer is handed over, not copied.
  parentPort.postMessage({ id, results: output.buffer }, [output.buffer]);
});
