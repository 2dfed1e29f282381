/**
 * The simulator's listener habits (scripts/stack/habits.ts) against the real relayer app: everything a simulated fan
 * does is accepted (no rejection but the too-short plays it sends on purpose), and the mix has every kind of event.
 */
import { expect } from "chai";
import type { Address } from "viem";
import { createBeatStreamClient, type ItemResult } from "../../client/index.js";
import { createListenerHabits, emptyTally } from "../../scripts/stack/habits.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { BACKENDS, buildApp, deployChain, newListener, type Chain } from "../relayer/core.helpers.js";

const NOW = 1_900_000_000;

/** A small deterministic generator (mulberry32), so the mix is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("simulator habits against the relayer", function () {
  this.timeout(300_000);
  let chain: Chain;
  let db: Database;
  let dispose: () => Promise<void>;
  let app: ReturnType<typeof buildApp>["app"];

  before(async () => {
    chain = await deployChain(3);
    ({ db, dispose } = await BACKENDS[0]!.open());
    ({ app } = buildApp({ db, chain, now: NOW }));
  });
  after(async () => dispose());

  it("sends a plausible mix of plays, outcomes, likes, saves, shares, follows, playlists and comments, all accepted", async function () {
    const tally = emptyTally();
    const plays: Record<string, number> = {};
    const random = seeded(16);
    const answers: Promise<unknown>[] = [];
    for (let listener = 0; listener < 4; listener++) {
      const client = createBeatStreamClient({
        relayerUrl: "http://relayer.local",
        chainId: chain.chainId,
        musicNFT: chain.musicNFT,
        wallet: newListener(),
        fetch: (input, init) => Promise.resolve(app.request(String(input), init)),
        now: () => (NOW - 60) * 1000,
        environment: null,
      });
      const habits = createListenerHabits({ client, tally, random });
      for (let index = 0; index < 60; index++) {
        const trackId = BigInt(1 + Math.floor(random() * 3));
        const play = habits.nextPlay(trackId, chain.creator.address as Address);
        answers.push(
          client.sendPlay({ trackId, startedAt: NOW - 3_600 + index * 40, durationSeconds: play.heardSeconds }).then((result: ItemResult) => {
            const key = result.status === "rejected" ? result.code : result.status;
            plays[key] = (plays[key] ?? 0) + 1;
          }),
        );
        answers.push(...habits.afterPlay(play));
      }
      expect(await client.flush()).to.equal(0);
      await client.close();
    }
    await Promise.all(answers);
    console.log(`      (240 plays: ${JSON.stringify(plays)}; engagement ${tally.sent} sent: ${JSON.stringify(tally.byAction)})`);
    expect(tally.rejected).to.deep.equal({});
    expect(tally.applied + tally.unchanged).to.equal(tally.sent);
    expect(tally.plays.complete + tally.plays.skip).to.equal(240);
    for (const action of ["play_complete", "play_skip", "like", "save", "follow", "playlist_create", "playlist_add"]) expect(tally.byAction[action] ?? 0, action).to.be.greaterThan(0);
    expect(Object.keys(tally.byAction).some((action) => action.startsWith("share_"))).to.equal(true);
    // About 15 % of plays are skipped in the first seconds and refused as too_short; the rest are accepted.
    expect(plays.too_short ?? 0).to.be.within(15, 65);
    expect(plays.accepted).to.equal(240 - (plays.too_short ?? 0));
  });
});
