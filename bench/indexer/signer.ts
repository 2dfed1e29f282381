/**
 * Fast local signing for the chain generator: raw EIP-1559 transactions and EIP-712 digests signed with the native
 * secp256k1 addon (≈20× viem's pure-JS signer), so signing never limits how fast the chain fills.
 */
import { bytesToHex, getAddress, keccak256, serializeTransaction, toHex, type Address, type Hex, hexToBytes } from "viem";
import { loadNativeSecp256k1 } from "../../relayer/src/crypto/signatures.js";

const secp = loadNativeSecp256k1();

export const BENCH_CHAIN_ID = 31337;
/** Every transaction offers this much per gas; the generator resets the base fee to 1 gwei before each block. */
const MAX_FEE_PER_GAS = 100_000_000_000n;

export type BenchAccount = { key: Uint8Array; address: Address; nonce: number };

export type DeriveAccountParameters = { label: string } | { privateKey: Hex };
export type DeriveAccountReturnType = BenchAccount;

/** An account from a fixed private key, or one derived from a label (the same label gives the same account). */
export function deriveAccount(parameters: DeriveAccountParameters): DeriveAccountReturnType {
  let key = "privateKey" in parameters ? hexToBytes(parameters.privateKey) : keccak256(toHex(`beatstream-bench:${parameters.label}`), "bytes");
  // A hash is a valid key with overwhelming probability; rehash in the astronomically rare other case.
  while (!secp.privateKeyVerify(key)) key = keccak256(key, "bytes");
  const address = getAddress(bytesToHex(keccak256(secp.publicKeyCreate(key, false).subarray(1), "bytes").subarray(12)));
  return { key, address, nonce: 0 };
}

export type SignTransactionParameters = { account: BenchAccount; to: Address; data: Hex; gas: bigint };
export type SignTransactionReturnType = { raw: Hex; hash: Hex; from: Address; nonce: number };

/** Signs the account's next transaction (its local nonce, then incremented): the generator never asks the node. */
export function signTransaction({ account, to, data, gas }: SignTransactionParameters): SignTransactionReturnType {
  const transaction = {
    chainId: BENCH_CHAIN_ID,
    type: "eip1559" as const,
    nonce: account.nonce,
    to,
    data,
    gas,
    maxFeePerGas: MAX_FEE_PER_GAS,
    maxPriorityFeePerGas: 0n,
  };
  const { signature, recid } = secp.ecdsaSign(keccak256(serializeTransaction(transaction), "bytes"), account.key);
  const raw = serializeTransaction(transaction, {
    r: bytesToHex(signature.subarray(0, 32)),
    s: bytesToHex(signature.subarray(32, 64)),
    yParity: recid,
  });
  account.nonce++;
  return { raw, hash: keccak256(raw), from: account.address, nonce: transaction.nonce };
}

export type SignDigestParameters = { account: BenchAccount; digest: Hex };

/** A 65-byte r ‖ s ‖ v signature (v = 27 or 28) of a 32-byte digest, the layout OpenZeppelin's ECDSA reads. */
export function signDigest({ account, digest }: SignDigestParameters): Hex {
  const { signature, recid } = secp.ecdsaSign(hexToBytes(digest), account.key);
  const packed = new Uint8Array(65);
  packed.set(signature);
  packed[64] = 27 + recid;
  return bytesToHex(packed);
}
