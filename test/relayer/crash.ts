import { expect } from "chai";
import { tempDir } from "./core.helpers.js";
import { flush, postPlays, signedPlaysOn, startLocalNode, startRelayer, status, type LocalNode, type RelayerProcess } from "./helpers/processes.js";

/**
 * A relayer process SIGKILLed right after each batch step (held there by the test-only RELAYER_TEST_HALT_AFTER),
 * then restarted over the same PGlite directory: every accepted play ends up counted on chain exactly once.
 * Real processes throughout: a Hardhat node, the deploy script, relayer servers spoken to over HTTP.
 */
/** Hardhat account #1, the relayer's default signer. */
const RELAYER_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("relayer crashes (real processes, PGlite on disk, SIGKILL after seal / store / submit)", function () {
  this.timeout(300_000);

  let node: LocalNode | undefined;
  const children: RelayerProcess[] = [];

  before(async function () {
    this.timeout(240_000);
    // One track per scenario, so each track's playCount is that scenario's alone.
    node = await startLocalNode({ tracks: 3 });
  });

  after(async () => {
    for (const child of children) await child.kill();
    await node?.stop();
  });

  const signedPlays = (trackId: bigint, count: number) => signedPlaysOn(node!, trackId, count);

  async function relayer(dataDir: string, env: Record<string, string> = {}) {
    const started = await startRelayer({ node: node!, dataDir, env, name: `relayer ${env.RELAYER_TEST_HALT_AFTER ?? "restarted"}` });
    children.push(started);
    return started;
  }

  const scenarios: { step: "seal" | "store" | "submit"; trackId: bigint }[] = [
    { step: "seal", trackId: 1n },
    { step: "store", trackId: 2n },
    { step: "submit", trackId: 3n },
  ];

  for (const { step, trackId } of scenarios) {
    it(`SIGKILL after ${step}: the restarted process finishes the batch and commits every accepted play once`, async () => {
      const chain = node!;
      const dir = await tempDir("relayer-crash-");
      try {
        const sentBefore = await chain.rpc("eth_getTransactionCount", [RELAYER_ADDRESS, "pending"]);
        const first = await relayer(dir.path, { RELAYER_TEST_HALT_AFTER: step });
        let accepted = await postPlays(first, await signedPlays(trackId, 5));
        expect(accepted).to.equal(5);

        // Submit: the transaction must still be unmined when the process dies, so it waits in the node's pool.
        if (step === "submit") await chain.rpc("evm_setAutomine", [false]);
        // The flush never answers: its cycle halts after the step, and the process dies under it.
        const halted = flush(first).catch(() => undefined);
        expect(await first.waitFor(/RELAYER_TEST_HALTED/)).to.match(new RegExp(`RELAYER_TEST_HALTED step=${step} batch=\\d+$`));
        // The batcher is stuck, but ingestion goes on; these plays wait for the next batch.
        accepted += await postPlays(first, await signedPlays(trackId, 3));
        await first.kill("SIGKILL");
        await halted;
        expect(await chain.playCount(trackId)).to.equal(0n);

        const second = await relayer(dir.path);
        const resumed = flush(second);
        if (step === "submit") {
          // The killed process's transaction is mined only now; the restarted one waits for it instead of resending.
          await chain.rpc("evm_setAutomine", [true]);
          await chain.rpc("evm_mine");
        }
        const result = await resumed;
        // The crashed batch first, then the plays that arrived while the batcher was stuck.
        expect(result.committed.length).to.equal(2);
        expect(await status(second)).to.deep.include({ pendingPlays: 0 });
        expect((await status(second)).batches).to.deep.equal({ open: 0, sealed: 0, stored: 0, submitted: 0, committed: 2 });
        expect(await chain.playCount(trackId)).to.equal(BigInt(accepted));
        // One commitPlays per batch: the crashed batch's transaction was neither sent twice nor replaced.
        const sentAfter = await chain.rpc("eth_getTransactionCount", [RELAYER_ADDRESS, "pending"]);
        expect(BigInt(String(sentAfter)) - BigInt(String(sentBefore))).to.equal(2n);

        // Nothing left to do: another flush commits nothing and the count stays.
        const again = await flush(second);
        expect(again.sealed).to.equal(null);
        expect(await chain.playCount(trackId)).to.equal(BigInt(accepted));
        await second.kill("SIGTERM");
      } finally {
        await dir.remove();
      }
    });
  }
});
