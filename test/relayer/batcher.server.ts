import { expect } from "chai";
import { custom } from "viem";
import { loadConfig } from "../../relayer/src/config.js";
import { openDatabase } from "../../relayer/src/repo/db/open.js";
import { startServer } from "../../relayer/src/server.js";
import { LocalCasStore } from "../../relayer/src/stores/local-cas.js";
import { deployChain, newListener, signedItem, tempDir, type Chain, writeChainDeployments } from "./core.helpers.js";

const OPERATOR_KEY = "operator-key-0123456789";

type Json = Record<string, any>;

describe("relayer server with its batcher (HTTP on 127.0.0.1, PGlite and snapshots on disk)", function () {
  this.timeout(120_000);

  async function setup(chain: Chain, dir: string, env: Record<string, string> = {}) {
    const deploymentsDir = await writeChainDeployments(chain, dir);
    return loadConfig({
      env: { PORT: "0", DATA_DIR: `${dir}/data`, DEPLOYMENTS_DIR: deploymentsDir, CHAIN_ID: String(chain.chainId), OPERATOR_API_KEY: OPERATOR_KEY, ...env },
    });
  }

  async function post(url: string, chain: Chain, count: number) {
    const listener = newListener();
    const now = BigInt(Math.floor(Date.now() / 1000));
    const items = await Promise.all(
      Array.from({ length: count }, (_, index) => signedItem(listener, { chainId: chain.chainId, musicNFT: chain.musicNFT }, { startedAt: now - 300n - BigInt(index) })),
    );
    const response = await fetch(`${url}/v1/plays`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ plays: items }) });
    expect(response.status).to.equal(202);
  }

  it("flush over HTTP commits with the default signer (Hardhat account #1) and stores the snapshot under DATA_DIR/snapshots", async () => {
    const chain = await deployChain(1);
    const dir = await tempDir();
    try {
      const config = await setup(chain, dir.path);
      const server = await startServer({ config, transport: custom(chain.connection.provider), log: () => {} });
      await post(server.url, chain, 3);
      const response = await fetch(`${server.url}/v1/admin/flush`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
      expect(response.status).to.equal(200);
      const flushed = (await response.json()) as Json;
      expect(flushed.batch).to.include({ id: "1", status: "committed", plays: 3, tracks: 1 });
      expect(await chain.contracts.musicNFT.playCount(1n)).to.equal(3n);
      const tx = await chain.connection.ethers.provider.getTransaction(flushed.batch.txHash);
      expect(tx?.from).to.equal(chain.relayer.address);
      expect(await new LocalCasStore({ dir: `${config.DATA_DIR}/snapshots` }).has(flushed.batch.cid)).to.equal(true);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).to.match(/relayer_batch_step_duration_seconds_count\{step="submit"\} 1/);
      await server.close();

      const db = await openDatabase({ dataDir: config.DATA_DIR });
      const { rows } = await db.query<{ status: string }>(`SELECT status FROM batches`);
      await db.close();
      expect(rows).to.deep.equal([{ status: "committed" }]);
    } finally {
      await dir.remove();
    }
  });

  it("the scheduler commits on its own once BATCH_MAX plays are pending; close stops it", async () => {
    const chain = await deployChain(1);
    const dir = await tempDir();
    try {
      const config = await setup(chain, dir.path, { BATCH_MAX: "4", BATCH_INTERVAL_MS: "3600000" });
      const server = await startServer({ config, transport: custom(chain.connection.provider), log: () => {} });
      await post(server.url, chain, 4);
      const deadline = Date.now() + 30_000;
      let batches: Json[] = [];
      while (Date.now() < deadline) {
        batches = ((await (await fetch(`${server.url}/v1/batches`)).json()) as Json).batches;
        if (batches[0]?.status === "committed") break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(batches.map((batch) => [batch.id, batch.status, batch.plays])).to.deep.equal([["1", "committed", 4]]);
      await server.close();
      expect(await chain.contracts.musicNFT.playCount(1n)).to.equal(4n);
    } finally {
      await dir.remove();
    }
  });
});
