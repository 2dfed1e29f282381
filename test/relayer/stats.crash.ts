import { expect } from "chai";
import { join, resolve } from "node:path";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { readCursors } from "../../relayer/src/repo/stats.js";
import { newListener, tempDir } from "./core.helpers.js";
import { startChild } from "./helpers/processes.js";
import { insertSignedEvents, insertSignedPlays, recountBuckets, recountRecency, recountSourceBuckets, recountTotals, storedBuckets, storedRecency, storedSourceBuckets, storedTotals, type TestEvent, type TestPlay } from "./stats.helpers.js";

const CHILD = resolve(import.meta.dirname, "helpers/stats-rollup.ts");
const ACTIONS = ["like", "save", "share", "download", "comment", "play_complete", "play_skip", "unlike", "follow"];

/**
 * The statistics rollup as a real process over PGlite on disk, SIGKILLed inside a chunk's transaction (every write
 * done, COMMIT not yet), then run again over the same directory: counters and buckets equal a recount from the raw
 * rows, nothing lost and nothing counted twice.
 */
describe("statistics rollup crashes (real process, PGlite on disk, SIGKILL mid-transaction)", function () {
  this.timeout(300_000);

  for (const haltAfter of [0, 3]) {
    it(`SIGKILL inside chunk ${haltAfter + 1}: the rerun counts every row exactly once`, async () => {
      const dir = await tempDir("stats-crash-");
      try {
        const dataDir = join(dir.path, "data");
        const db = await openDatabase({ dataDir });
        const fans = Array.from({ length: 6 }, () => newListener());
        const base = Date.parse("2026-02-27T22:00:00Z") / 1000;
        const plays: TestPlay[] = Array.from({ length: 60 }, (_, i) => ({ listener: fans[i % 6]!, trackId: BigInt(1 + (i % 4)), at: base + i * 2_777 }));
        const events: TestEvent[] = Array.from({ length: 36 }, (_, i) => ({
          fan: fans[i % 6]!,
          action: ACTIONS[i % ACTIONS.length]!,
          ...(ACTIONS[i % ACTIONS.length] === "follow" ? { artist: `0x${"a1".repeat(20)}` as const } : { trackId: BigInt(1 + (i % 4)) }),
          text: ACTIONS[i % ACTIONS.length] === "share" ? "embed" : ACTIONS[i % ACTIONS.length]!.startsWith("play_") ? "radio" : "",
          at: base + i * 5_003,
        }));
        await insertSignedPlays(db, plays);
        await insertSignedEvents(db, events);
        // As an earlier rollup would have: the creators are cached, so the child needs no chain.
        await db.query(`INSERT INTO stats_track_creators (track_id, creator) VALUES (1, $1), (2, $1), (3, $2), (4, $2)`, [`0x${"a1".repeat(20)}`, `0x${"b2".repeat(20)}`]);
        await db.close();

        const first = startChild("stats rollup (halts)", ["--import", "tsx", CHILD, dataDir, "7", String(haltAfter)]);
        expect(await first.waitFor(/STATS_HALTED chunk=\d+/, 120_000)).to.match(new RegExp(`STATS_HALTED chunk=${haltAfter}`));
        await first.kill("SIGKILL");

        const reopened = await openDatabase({ dataDir });
        const cursors = await readCursors(reopened);
        // The killed chunk left nothing: the cursor is where the last committed chunk put it.
        expect(cursors.plays.rolledTo).to.equal(BigInt(Math.min(60, haltAfter * 7)));
        await reopened.close();

        const second = startChild("stats rollup (rerun)", ["--import", "tsx", CHILD, dataDir, "7"]);
        expect(await second.waitFor(/STATS_DONE/, 120_000)).to.match(new RegExp(`STATS_DONE plays=${60 - haltAfter * 7} `));
        await second.exited;

        const check = await openDatabase({ dataDir });
        try {
          expect(await storedBuckets(check)).to.deep.equal(await recountBuckets(check));
          expect(await storedTotals(check)).to.deep.equal(await recountTotals(check));
          expect(await storedRecency(check)).to.deep.equal(await recountRecency(check));
          expect(await storedSourceBuckets(check)).to.deep.equal(await recountSourceBuckets(check));
          const { rows } = await check.query<{ plays: string }>(`SELECT sum(plays)::text AS plays FROM stats_totals WHERE kind = 't'`);
          expect(rows[0]!.plays).to.equal("60");
        } finally {
          await check.close();
        }
      } finally {
        await dir.remove();
      }
    });
  }
});
