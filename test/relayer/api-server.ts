import { expect } from "chai";
import { custom } from "viem";
import { loadConfig } from "../../relayer/src/config.js";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { DeploymentsError } from "../../relayer/src/errors.js";
import { startServer } from "../../relayer/src/server.js";
import { writeDeployments } from "../../relayer/src/deployments.js";
import { deployChain, newListener, signedItem, tempDir, writeChainDeployments } from "./core.helpers.js";
import { signedEvent } from "./engagement.helpers.js";

describe("relayer server (HTTP on 127.0.0.1, PGlite on disk)", function () {
  this.timeout(120_000);

  it("serves the API over a socket, stores accepted plays durably, and shuts down cleanly", async () => {
    const chain = await deployChain(1);
    const dir = await tempDir();
    try {
      const deploymentsDir = await writeChainDeployments(chain, dir.path);
      const config = loadConfig({
        env: { PORT: "0", DATA_DIR: `${dir.path}/data`, DEPLOYMENTS_DIR: deploymentsDir, CHAIN_ID: String(chain.chainId) },
      });
      const logs: string[] = [];
      const server = await startServer({ config, transport: custom(chain.connection.provider), log: (line) => logs.push(line) });
      expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(logs.join("\n")).to.contain("store pglite");

      const listener = newListener();
      const now = BigInt(Math.floor(Date.now() / 1000));
      const items = [
        await signedItem(listener, { chainId: chain.chainId, musicNFT: chain.musicNFT }, { startedAt: now - 300n }),
        await signedItem(listener, { chainId: chain.chainId, musicNFT: chain.musicNFT }, { startedAt: now - 200n }),
      ];
      const response = await fetch(`${server.url}/v1/plays`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ plays: items }),
      });
      expect(response.status).to.equal(202);
      const { results } = (await response.json()) as { results: { status: string; id: string }[] };
      expect(results.map((result) => result.status)).to.deep.equal(["accepted", "accepted"]);
      // A signed like and a follow of the track's creator, their signatures checked on the pool's threads.
      const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      const events = [
        await signedEvent(listener, domain, "like", { trackId: 1n, issuedAt: now - 100n }),
        await signedEvent(listener, domain, "follow", { artist: chain.creator.address as `0x${string}`, issuedAt: now - 100n }),
        await signedEvent(newListener(), domain, "like", { trackId: 1n, issuedAt: now - 100n }),
      ];
      events[2] = { ...events[2]!, fan: listener.address };
      const engagement = await fetch(`${server.url}/v1/engagement`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ events }) });
      expect(engagement.status).to.equal(202);
      const { results: verdicts } = (await engagement.json()) as { results: { status: string; effect?: string; code?: string }[] };
      expect(verdicts.map((result) => result.effect ?? result.code)).to.deep.equal(["applied", "applied", "invalid_signature"]);
      expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);

      await server.close();
      await server.close(); // idempotent
      // The socket is gone once close resolves.
      try {
        await fetch(`${server.url}/healthz`);
        expect.fail("the server still answers after close");
      } catch (error) {
        expect(String((error as Error).cause ?? error)).to.match(/ECONNREFUSED|other side closed/); // a pooled keep-alive socket sees the close
      }

      // What the 202 promised is on disk: a fresh open of the same directory reads both plays.
      const db = await openDatabase({ dataDir: config.DATA_DIR });
      const { rows } = await db.query<{ id: string; nonce: string }>(`SELECT id::text AS id, nonce FROM plays p ORDER BY p.id`);
      await db.close();
      expect(rows).to.deep.equal(results.map((result, index) => ({ id: result.id, nonce: items[index].nonce })));
    } finally {
      await dir.remove();
    }
  });

  it("refuses to start without a deployments file, and on an RPC serving another chain", async () => {
    const chain = await deployChain(0);
    const dir = await tempDir();
    try {
      const env = { PORT: "0", DATA_DIR: `${dir.path}/data`, DEPLOYMENTS_DIR: `${dir.path}/deployments`, CHAIN_ID: "5" };
      try {
        await startServer({ config: loadConfig({ env }), transport: custom(chain.connection.provider), log: () => {} });
        expect.fail("started without deployments");
      } catch (error) {
        expect(error).to.be.instanceOf(DeploymentsError);
      }
      await writeDeployments({
        dir: env.DEPLOYMENTS_DIR,
        deployments: { chainId: 5, contracts: { MusicNFT: { address: chain.musicNFT, startBlock: 0 }, CreatorCoinFactory: { address: chain.musicNFT, startBlock: 0 } } },
      });
      try {
        await startServer({ config: loadConfig({ env }), transport: custom(chain.connection.provider), log: () => {} });
        expect.fail("started against the wrong chain");
      } catch (error) {
        expect((error as Error).message).to.match(/serves chain 31337, but CHAIN_ID is 5/);
      }
    } finally {
      await dir.remove();
    }
  });
});
