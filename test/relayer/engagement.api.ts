import { expect } from "chai";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { readAccessMessage } from "../../relayer/src/api/read-auth.js";
import { NO_VALUE } from "../../relayer/src/engagement/schema.js";
import type { Database } from "../../relayer/src/repo/db/database.js";
import { countEngagementRows } from "../../relayer/src/repo/engagement.js";
import { BACKENDS, buildApp, countPlays, deployChain, newListener, postPlays, signedItem, type Chain } from "./core.helpers.js";
import { postEvents, randomId, signedEvent } from "./engagement.helpers.js";

const NOW = 1_900_000_000;
const T = BigInt(NOW - 600);

type Json = Record<string, any>;
const json = async (response: Response): Promise<Json> => (await response.json()) as Json;

for (const backend of BACKENDS) {
  describe(`relayer engagement API (${backend.name})`, function () {
    this.timeout(300_000);
    let chain: Chain;
    let db: Database;
    let dispose: () => Promise<void>;
    let app: ReturnType<typeof buildApp>["app"];
    let domain: { chainId: number; musicNFT: Address };
    let artist: Address;

    before(async () => {
      chain = await deployChain(3);
      ({ db, dispose } = await backend.open());
      ({ app } = buildApp({ db, chain, now: NOW, bodyLimitBytes: 256 * 1024 }));
      domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      artist = chain.creator.address as Address;
    });
    after(async () => dispose());

    const sign = (fan: ReturnType<typeof newListener>, action: Parameters<typeof signedEvent>[2], fields: Partial<Parameters<typeof signedEvent>[3]> = {}) =>
      signedEvent(fan, domain, action, { issuedAt: T, ...fields });
    const readAuth = async (fan: ReturnType<typeof newListener>, expiry: number, signer = fan) =>
      `BeatStream ${expiry}.${await signer.signMessage({ message: readAccessMessage(fan.address, expiry) })}`;

    it("answers POST /v1/engagement with 202 and one result per item, stored before the answer", async () => {
      const fan = newListener();
      const like = await sign(fan, "like", { trackId: 1n });
      const response = await postEvents(app, [like, await sign(fan, "like", { trackId: 1n }), await sign(fan, "like", { trackId: 9_999n })]);
      expect(response.status).to.equal(202);
      const { results } = await json(response);
      expect(results[0]).to.deep.include({ status: "accepted", effect: "applied" });
      expect(results[0].id).to.match(/^[1-9][0-9]*$/);
      expect(results[1]).to.deep.include({ status: "accepted", effect: "unchanged" });
      expect(results[2]).to.deep.equal({ status: "rejected", code: "unknown_track" });
      const { rows } = await db.query(`SELECT id::text, action, track_id::text, effective FROM engagement_events WHERE fan = $1 ORDER BY id`, [fan.address.toLowerCase()]);
      expect(rows).to.deep.equal([
        { id: results[0].id, action: "like", track_id: "1", effective: true },
        { id: results[1].id, action: "like", track_id: "1", effective: false },
      ]);
      // Hex in any case is stored lowercase, so a replay in another case is still a replay.
      const upper = { ...like, nonce: `0x${like.nonce.slice(2).toUpperCase()}`, fan: like.fan.toLowerCase() };
      expect((await json(await postEvents(app, [upper]))).results[0]).to.deep.equal({ status: "rejected", code: "duplicate_nonce" });
    });
  });
}
