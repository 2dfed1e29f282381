import { expect } from "chai";
import { createPublicClient, createWalletClient, custom, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainRevertError } from "../../relayer/src/batcher/errors.js";
import { createSendLock } from "../../relayer/src/chain/send-lock.js";
import { createChainWriter } from "../../relayer/src/chain/writer.js";
import { createVaultWriter, type SignedVoucher } from "../../relayer/src/stream/vault.js";
import { RELAYER_KEY } from "./batcher.helpers.js";
import { deployChain, newListener, randomNonce, type Chain } from "./core.helpers.js";
import { fundedListener, signVoucher, streamAddresses, testChain } from "./stream.helpers.js";

describe("stream vault writer (real BeatStreamVault)", function () {
  this.timeout(120_000);

  let chain: Chain;
  before(async () => {
    chain = await deployChain(1);
  });

  async function writer() {
    const { vault } = await streamAddresses(chain);
    const transport = custom(chain.connection.provider);
    const viemChain = testChain(chain.chainId);
    const publicClient = createPublicClient({ chain: viemChain, transport, pollingInterval: 20 });
    const walletClient = createWalletClient({ chain: viemChain, transport, account: privateKeyToAccount(RELAYER_KEY) });
    const retry = { attempts: 1, backoffMs: 1 };
    // The relayer's own receipt handling; MusicNFT and the factory are never called here.
    const chainWriter = createChainWriter({ publicClient, walletClient, musicNFT: { address: vault, startBlock: 0 }, creatorCoinFactory: vault, retry, pollingIntervalMs: 20 });
    return createVaultWriter({ publicClient, walletClient, vault, chainWriter, sendLock: createSendLock(), retry });
  }

  it("names the voucher the vault refuses, by error and index, so settlement can take exactly that one out", async () => {
    const listener = await fundedListener(chain, 1_000_000n);
    const artist = chain.creator.address as Hex;
    // The chain's clock, not this process's: deadlines are checked against block.timestamp.
    const now = (await chain.client.getBlock()).timestamp;
    const voucher = async (cumulativeAmount: bigint, deadline: bigint, signer = listener): Promise<SignedVoucher> => {
      const fields = { artist, sessionId: randomNonce(), cumulativeAmount, deadline };
      return { listener: listener.address, ...fields, signature: await signVoucher(signer, chain, fields) };
    };
    const vault = await writer();
    const good = await voucher(10n, now + 86_400n);
    for (const [bad, errorName] of [
      [await voucher(20n, now + 86_400n, newListener()), "BeatStreamVaultInvalidSignature"],
      [await voucher(30n, now - 10n), "BeatStreamVaultVoucherExpired"],
    ] as const) {
      let caught: unknown;
      await vault.settle({ vouchers: [good, bad] }).catch((error: unknown) => (caught = error));
      expect(caught, errorName).to.be.instanceOf(ChainRevertError);
      expect((caught as ChainRevertError).errorName).to.equal(errorName);
      expect((caught as ChainRevertError).args[0]).to.equal(1n);
    }
    // The good one alone goes through, and its receipt (fetched once, logs included) gives the vault's total.
    const sent = await vault.settle({ vouchers: [good] });
    expect(sent.hash).to.match(/^0x[0-9a-f]{64}$/);
    const receipt = await vault.waitForReceipt(sent.hash);
    expect(receipt.status).to.equal("success");
    const { totals, gasUsed } = vault.settledTotals(receipt);
    expect([...totals]).to.deep.equal([[good.sessionId.toLowerCase(), 10n]]);
    expect(gasUsed).to.equal((await chain.client.getTransactionReceipt({ hash: sent.hash })).gasUsed);
    const state = await vault.transactionState(sent);
    expect(state.kind === "mined" && vault.settledTotals(state.receipt).totals).to.deep.equal(totals);
    expect(await vault.settledAmount(good)).to.equal(10n);
  });
});
