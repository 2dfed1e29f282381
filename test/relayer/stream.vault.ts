import { readFile } from "node:fs/promises";
import { expect } from "chai";
import { createPublicClient, createWalletClient, custom, getAddress, type AbiParameter, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainRevertError } from "../../relayer/src/chain/errors.js";
import { createSendLock } from "../../relayer/src/chain/send-lock.js";
import { createChainWriter } from "../../relayer/src/chain/writer.js";
import { createCreatorCheck } from "../../relayer/src/stream/creators.js";
import { createVaultReader, createVaultWriter, creatorRegistryAbi, vaultAbi, type SignedVoucher } from "../../relayer/src/stream/vault.js";
import { RELAYER_KEY } from "./batcher.helpers.js";
import { deployChain, newListener, randomNonce, type Chain } from "./core.helpers.js";
import { fundedListener, signVoucher, streamAddresses, testChain } from "./stream.helpers.js";

describe("stream creator check", () => {
  it("keeps a yes for good, asks again after a no, forgets a failed read, and shares a read in flight", async () => {
    const answers: Record<string, (boolean | Error)[]> = { "0x00000000000000000000000000000000000000c1": [true], "0x00000000000000000000000000000000000000c2": [false, true], "0x00000000000000000000000000000000000000c3": [new Error("rpc down"), true] };
    const reads: string[] = [];
    const check = createCreatorCheck({
      read: async (account) => {
        reads.push(account);
        const answer = answers[account]!.shift()!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    const [c1, c2, c3] = Object.keys(answers) as Hex[];
    // Two opens at once read once; the answer is kept, whatever the address's case.
    expect(await Promise.all([check.isCreator(c1!), check.isCreator(c1!)])).to.deep.equal([true, true]);
    expect(await check.isCreator(getAddress(c1!))).to.equal(true);
    // Not a creator yet, then it mints a track.
    expect(await check.isCreator(c2!)).to.equal(false);
    expect(await check.isCreator(c2!)).to.equal(true);
    await check.isCreator(c3!).then(
      () => expect.fail("a failed read must reject"),
      (error: Error) => expect(error.message).to.equal("rpc down"),
    );
    expect(await check.isCreator(c3!)).to.equal(true);
    expect(reads).to.deep.equal([c1, c2, c2, c3, c3]);
  });
});

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

  it("reads BeatStreamVault and its creator registry through ABIs equal to the compiled artifacts'", async () => {
    // Types only (names aside): a tuple as its component types, an event input with its `indexed`.
    type Item = { type: string; name?: string; inputs?: readonly AbiParameter[]; outputs?: readonly AbiParameter[]; stateMutability?: string };
    const typeOf = (parameter: AbiParameter & { indexed?: boolean }): string =>
      ("components" in parameter && parameter.type.startsWith("tuple") ? `(${parameter.components.map(typeOf).join(",")})${parameter.type.slice(5)}` : parameter.type) +
      (parameter.indexed ? " indexed" : "");
    const shape = (item: Item) =>
      `${item.type} ${item.name}(${(item.inputs ?? []).map(typeOf).join(",")}) ${item.stateMutability ?? ""} ${(item.outputs ?? []).map(typeOf).join(",")}`;
    for (const [abi, path] of [
      [vaultAbi, "artifacts/contracts/BeatStreamVault.sol/BeatStreamVault.json"],
      [creatorRegistryAbi, "artifacts/contracts/interfaces/ICreatorRegistry.sol/ICreatorRegistry.json"],
    ] as const) {
      const compiled = new Set<string>(JSON.parse(await readFile(path, "utf8")).abi.map(shape));
      for (const entry of abi as readonly Item[]) expect(compiled.has(shape(entry)), `${path}: ${shape(entry)}`).to.equal(true);
    }
  });

  it("asks the vault's own creator registry whether an address can be paid", async () => {
    const { vault } = await streamAddresses(chain);
    const reader = createVaultReader({ client: chain.client, vault });
    expect(await reader.isCreator(getAddress(chain.creator.address))).to.equal(true);
    expect(await reader.isCreator(newListener().address)).to.equal(false);
  });

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
    // A payee that minted nothing: the listener's own second address.
    const second = newListener().address;
    const toSecond = await (async (): Promise<SignedVoucher> => {
      const fields = { artist: second, sessionId: randomNonce(), cumulativeAmount: 40n, deadline: now + 86_400n };
      return { listener: listener.address, ...fields, signature: await signVoucher(listener, chain, fields) };
    })();
    for (const [bad, errorName, args] of [
      [await voucher(20n, now + 86_400n, newListener()), "BeatStreamVaultInvalidSignature", [1n]],
      [await voucher(30n, now - 10n), "BeatStreamVaultVoucherExpired", [1n, now - 10n]],
      [toSecond, "BeatStreamVaultNotCreator", [1n, second]],
    ] as const) {
      let caught: unknown;
      await vault.settle({ vouchers: [good, bad] }).catch((error: unknown) => (caught = error));
      expect(caught, errorName).to.be.instanceOf(ChainRevertError);
      expect((caught as ChainRevertError).errorName).to.equal(errorName);
      expect((caught as ChainRevertError).args).to.deep.equal(args);
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
