import { getAbiItem, hexToBigInt, parseAbi, toEventSelector, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import type { ChainWriter, MinedReceipt, SentTransaction } from "../chain/writer.js";
import { revertOf, withRpcRetry, type ChainWriterRetry } from "../chain/writer.js";
import type { SendLock } from "../chain/send-lock.js";
import { ChainReadError } from "../chain/errors.js";

/**
 * BeatStreamVault as the relayer uses it: the views it reads, `settle`, its event and every custom error `settle` may
 * revert with. test/relayer/stream.vault.ts holds each entry equal to the compiled artifact's.
 */
export const vaultAbi = parseAbi([
  "struct StreamVoucher { address listener; address artist; bytes32 sessionId; uint256 cumulativeAmount; uint64 deadline; }",
  "function settle(StreamVoucher[] vouchers, bytes signatures)",
  "function CREATOR_REGISTRY() view returns (address)",
  "function balanceOf(address listener) view returns (uint256)",
  "function earningsOf(address artist) view returns (uint256)",
  "function settledAmount(address listener, address artist, bytes32 sessionId) view returns (uint256)",
  "function pendingWithdrawal(address listener) view returns ((uint128 amount, uint64 availableAt))",
  "event StreamSettled(bytes32 indexed sessionKey, address indexed listener, address indexed artist, bytes32 sessionId, uint256 amount, uint256 totalSettled)",
  "error BeatStreamVaultSignaturesLengthMismatch(uint256 voucherCount, uint256 signaturesLength)",
  "error BeatStreamVaultVoucherExpired(uint256 index, uint64 deadline)",
  "error BeatStreamVaultInvalidSignature(uint256 index)",
  "error BeatStreamVaultZeroArtist(uint256 index)",
  "error BeatStreamVaultSelfPayment(uint256 index)",
  "error BeatStreamVaultNotCreator(uint256 index, address artist)",
  "error EnforcedPause()",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
]);

/** ICreatorRegistry (MusicNFT in the deployed protocol): whom the vault pays. Held equal to the compiled interface's by the same test. */
export const creatorRegistryAbi = parseAbi(["function isCreator(address account) view returns (bool)"]);

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
  const read = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw new ChainReadError(what, error);
    }
  };
  const contract = { address: vault, abi: vaultAbi } as const;
  // Immutable in the vault, so read once; a failed read is not kept.
  let registry: Promise<Address> | undefined;
  const creatorRegistry = () => {
    if (registry === undefined) {
      const reading = read("CREATOR_REGISTRY", () => client.readContract({ ...contract, functionName: "CREATOR_REGISTRY" }));
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
        read("balanceOf", () => client.readContract({ ...contract, functionName: "balanceOf", args: [listener] })),
        read("pendingWithdrawal", () => client.readContract({ ...contract, functionName: "pendingWithdrawal", args: [listener] })),
      ]);
      return { balance, pendingWithdrawal: withdrawal.amount };
    },
    earningsOf: (artist) => read("earningsOf", () => client.readContract({ ...contract, functionName: "earningsOf", args: [artist] })),
    settledAmount: ({ listener, artist, sessionId }) =>
      read("settledAmount", () => client.readContract({ ...contract, functionName: "settledAmount", args: [listener, artist, sessionId] })),
    async isCreator(account) {
      const address = await creatorRegistry();
      return read("isCreator", () => client.readContract({ address, abi: creatorRegistryAbi, functionName: "isCreator", args: [account] }));
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
 * no separate simulation first: the gas estimate that `writeContract` makes already runs the call and reverts with the
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
            return await walletClient.writeContract({ address: vault, abi: vaultAbi, functionName: "settle", args, account, chain: walletClient.chain, nonce: chosen });
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

function lowerHex(value: string): Hex {
  return `0x${value.slice(2).toLowerCase()}`;
}
