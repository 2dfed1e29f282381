/**
 * `npm run reset`: deletes the local stack's data directory (STACK_DATA_DIR, default .data): the relayer's and
 * the indexer's embedded stores, snapshots and logs. Refuses while a stack runs on it. The next `npm start`
 * begins from nothing either way (its chain is fresh); this frees the disk and the logs.
 */
import { readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { loadStackConfig, ROOT } from "./stack/config.js";

const config = loadStackConfig();
let running: number | undefined;
try {
  const { pid } = JSON.parse(await readFile(join(config.dataDir, "stack.json"), "utf8"));
  process.kill(pid, 0);
  running = pid;
} catch {
  // no stack file, or its process is gone
}
const shown = relative(ROOT, config.dataDir) || config.dataDir;
if (running !== undefined) {
  console.error(`a stack (pid ${running}) runs on ${shown}: stop it (Ctrl-C) before npm run reset`);
  process.exit(1);
}
await rm(config.dataDir, { recursive: true, force: true });
console.log(`removed ${shown}/`);
