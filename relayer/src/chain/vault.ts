import { getAbiItem, hexToBigInt, toEventSelector, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import { lowerHex } from "../crypto/hex.js";
import { creatorRegistryAbi, vaultAbi } from "./abis.js";
import { withGasMargin } from "./gas.js";
import { readChain } from "./reader.js";
import type { SendLock } from "./send-lock.js";
import { revertOf, withRpcRetry, type ChainWriter, type ChainWriterRetry, type MinedReceipt, type SentTransaction } from "./writer.js";

/** A signed voucher as `settle` takes it, with the listener's 65-byte signature. */
export type SignedVoucher = {
  listener: Address;
  artist: Address;
  sessionId: Hex;
  cumulativeAmount: bigint;
  deadline: bigint;
  signature: Hex;
};

export type ListenerFunds = {
  /** `balanceOf`: unspent USDC, including any amount asked to withdraw. */
  balance: bigint;
  /** The pending withdrawal's amount (0 when none). */
  pendingWithdrawal: bigint;
};

export type VaultReader = {
  funds(listener: Address): Promise<ListenerFunds>;
  earningsOf(artist: Address): Promise<bigint>;
  settledAmount(voucher: { listener: Address; artist: Address; sessionId: Hex }): Promise<bigint>;
  /** Whether the vault would pay `account`: the answer of the vault's own `CREATOR_REGISTRY`. */
  isCreator(account: Address): Promise<boolean>;
};

export type CreateVaultReaderParameters = { client: Pick<PublicClient, "readContract">; vault: Address };

/** The vault's views; every failure becomes a `ChainReadError` (HTTP 503). */
export function createVaultReader({ client, vault }: CreateVaultReaderParameters): VaultReader {
  const contract = { address: vault, abi: vaultAbi } as const;
  // Immutable in the vault, so read once; a failed read is not kept.
  let registry: Promise<Address> | undefined;
  const creatorRegistry = () => {
    if (registry === undefined) {
      const reading = readChain("CREATOR_REGISTRY", () => client.readContract({ ...contract, functionName: "CREATOR_REGISTRY" }));
      registry = reading;
      reading.catch(() => {
        if (registry === reading) registry = undefined;
      });
    }
    return registry;
  };
  return {
    async funds(listener) {
      const [balance, withdrawal] = await Promise.all([
        readChain("balanceOf", () => client.readContract({ ...contract, functionName: "balanceOf", args: [listener] })),
        readChain("pendingWithdrawal", () => client.readContract({ ...contract, functionName: "pendingWithdrawal", args: [listener] })),
      ]);
      return { balance, pendingWithdrawal: withdrawal.amount };
    },
    earningsOf: (artist) => readChain("earningsOf", () => client.readContract({ ...contract, functionName: "earningsOf", args: [artist] })),
    settledAmount: ({ listener, artist, sessionId }) =>
      readChain("settledAmount", () => client.readContract({ ...contract, functionName: "settledAmount", args: [listener, artist, sessionId] })),
    async isCreator(account) {
      const address = await creatorRegistry();
      return readChain("isCreator", () => client.readContract({ address, abi: creatorRegistryAbi, functionName: "isCreator", args: [account] }));
    },
  };
}

export type VaultWriter = Pick<ChainWriter, "transactionState" | "waitForReceipt"> & {
  readonly account: Address;
  /** Writes `settle`; `nonce` given on a resend. Reverts: `ChainRevertError` with the decoded error name and args. */
  settle(args: { vouchers: readonly SignedVoucher[]; nonce?: number | undefined }): Promise<SentTransaction>;
  /** The `StreamSettled` totals a mined settlement emitted, by session id (sessions paid nothing emit none). */
  settledTotals(receipt: MinedReceipt): { totals: Map<Hex, bigint>; gasUsed: bigint };
  settledAmount: VaultReader["settledAmount"];
};

export type CreateVaultWriterParameters = {
  publicClient: PublicClient<Transport, Chain | undefined>;
  walletClient: WalletClient<Transport, Chain, Account>;
  vault: Address;
  /** A chain writer of the same account: its receipt and transaction-state handling is reused, hash for hash. */
  chainWriter: Pick<ChainWriter, "transactionState" | "waitForReceipt">;
  /** The settler account's lock (send-lock.ts): the batcher's too when it signs with the same key, so no nonce is picked twice. */
  sendLock: SendLock;
  retry?: ChainWriterRetry;
  onError?: (kind: "rpc" | "revert" | "timeout") => void;
};

/**
 * `BeatStreamVault.settle` on the settler's account (the vault's RELAYER_ROLE): one nonce, write, retried. Unlike the batcher's commits there is
 * no separate simulation first: the gas estimate already runs the call and reverts with the
 * vault's error (decoded by name and voucher index), and a settlement of a hundred vouchers is the heaviest call the
 * relayer makes — a simulation would run it once more on the node, and once more encode it here, for nothing.
 */
export function createVaultWriter({ publicClient, walletClient, vault, chainWriter, sendLock, retry = { attempts: 5, backoffMs: 200 }, onError = () => {} }: CreateVaultWriterParameters): VaultWriter {
  const account = walletClient.account;
  const withRetry = <T>(operation: string, run: () => Promise<T>) => withRpcRetry({ operation, retry, run, onError });
  const reader = createVaultReader({ client: publicClient, vault });
  return {
    account: account.address,
    transactionState: (sent) => chainWriter.transactionState(sent),
    waitForReceipt: (hash) => chainWriter.waitForReceipt(hash),
    settledAmount: (voucher) => withRetry("settledAmount", () => reader.settledAmount(voucher)),
    async settle({ vouchers, nonce }) {
      const args = [
        vouchers.map(({ listener, artist, sessionId, cumulativeAmount, deadline }) => ({ listener, artist, sessionId, cumulativeAmount, deadline })),
        packSignatures(vouchers.map((voucher) => voucher.signature)),
      ] as const;
      return sendLock(async () => {
        const chosen = nonce ?? (await withRetry("nonce", () => publicClient.getTransactionCount({ address: account.address, blockTag: "pending" })));
        const hash = await withRetry("settle", async () => {
          try {
            const call = { address: vault, abi: vaultAbi, functionName: "settle", args, account } as const;
            // A listener who withdraws or deposits while this waits to be mined changes what it costs (gas.ts).
            const gas = withGasMargin(await publicClient.estimateContractGas(call));
            return await walletClient.writeContract({ ...call, chain: walletClient.chain, nonce: chosen, gas });
          } catch (error) {
            throw revertOf("settle", error, onError) ?? error;
          }
        });
        return { hash, nonce: chosen };
      });
    },
    settledTotals(receipt) {
      const totals = new Map<Hex, bigint>();
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== vault.toLowerCase()) continue;
        const event = decodeSettled(log);
        if (event !== undefined) totals.set(event.sessionId, event.totalSettled);
      }
      return { totals, gasUsed: receipt.gasUsed };
    },
  };
}

const STREAM_SETTLED = toEventSelector(getAbiItem({ abi: vaultAbi, name: "StreamSettled" }));

/**
 * A StreamSettled log's session id and total, read at their fixed offsets in the data (sessionId, amount,
 * totalSettled: three words); any other log is undefined. By hand: viem's generic decoder cost a settlement of a
 * hundred vouchers 4 ms of the thread that acknowledges vouchers.
 */
function decodeSettled(log: { data: Hex; topics: readonly Hex[] }): { sessionId: Hex; totalSettled: bigint } | undefined {
  if (log.topics[0]?.toLowerCase() !== STREAM_SETTLED || log.topics.length !== 4 || log.data.length !== 2 + 3 * 64) return undefined;
  return { sessionId: lowerHex(`0x${log.data.slice(2, 66)}`), totalSettled: hexToBigInt(`0x${log.data.slice(130, 194)}`) };
}

/** Concatenates 65-byte signatures in voucher order, the layout `settle` reads. */
export function packSignatures(signatures: readonly Hex[]): Hex {
  return `0x${signatures.map((signature) => signature.slice(2)).join("")}`;
}
