/**
 * A statistics rollup as a process of its own, for the crash test: opens the PGlite directory `argv[2]`, rolls up in
 * chunks of `argv[3]` rows, and with `argv[4]` = n holds the (n + 1)-th chunk's transaction open after all its writes
 * (before COMMIT), printing `STATS_HALTED chunk=<n>`, so the test can SIGKILL it mid-rollup. Without a halt it prints
 * `STATS_DONE plays=<n> events=<n>` and exits. Track creators are already cached (stats_track_creators): a chain
 * read here would be a bug, so creatorOf throws.
 *
 * It runs only as a process's main module: `hardhat test mocha` loads every file under test/, this one included.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { rollup } from "../../../relayer/src/engagement/rollup.js";
import { openDatabase } from "../../../relayer/src/repo/db/open.js";

async function main(): Promise<void> {
  const [dataDir, chunkSize, haltAfter] = process.argv.slice(2);
  const db = await openDatabase({ dataDir });
  let committed = 0;
  const result = await rollup({
    db,
    chunkSize: Number(chunkSize),
    creatorOf: async (trackId) => {
      throw new Error(`creatorOf(${trackId}) called: the creators were cached`);
    },
    beforeCommit: async () => {
      if (haltAfter !== undefined && committed === Number(haltAfter)) {
        console.log(`STATS_HALTED chunk=${committed}`);
        await new Promise<never>(() => {});
      }
      committed += 1;
    },
  });
  console.log(`STATS_DONE plays=${result.plays} events=${result.events}`);
  await db.close();
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
