import { domainSeparator, hexToBytes, keccak256, toBytes, type Address, type Hex } from "viem";
import { loadNative } from "../plays/native.js";
import { createPlayVerifier } from "../plays/verify.js";

/** The EIP-712 `StreamVoucher` type, field for field as BeatStreamVault's STREAM_VOUCHER_TYPEHASH spells it. */
export const STREAM_VOUCHER_TYPES = {
  StreamVoucher: [
    { name: "listener", type: "address" },
    { name: "artist", type: "address" },
    { name: "sessionId", type: "bytes32" },
    { name: "cumulativeAmount", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
} as const;

const STREAM_VOUCHER_TYPEHASH = keccak256(
  toBytes("StreamVoucher(address listener,address artist,bytes32 sessionId,uint256 cumulativeAmount,uint64 deadline)"),
  "bytes",
);

/** A voucher's signed fields. */
export type StreamVoucher = {
  listener: Address;
  artist: Address;
  sessionId: Hex;
  cumulativeAmount: bigint;
  deadline: bigint;
};

export type VaultDomainParameters = { chainId: number; vault: Address };

/** BeatStreamVault's EIP-712 domain: name "BeatStreamVault", version "1". */
export function vaultDomain({ chainId, vault }: VaultDomainParameters) {
  return { name: "BeatStreamVault", version: "1", chainId, verifyingContract: vault } as const;
}

export type VoucherVerifier = {
  /** The digest `BeatStreamVault.hashVoucher` returns. */
  digest(voucher: StreamVoucher): Uint8Array;
  /** Whether `signature` is `voucher.listener`'s, by the rule `settle` applies (65 bytes, v 27/28, low s). */
  verify(voucher: StreamVoucher, signature: Hex): boolean;
};

/**
 * Voucher signature checks on the streaming hot path: the one fixed struct encoded by hand and the signer recovered
 * with the native secp256k1 addon, exactly as the play verifier does (its `recover` is domain-free and reused here,
 * with OpenZeppelin's rules: 65 bytes, v ∈ {27, 28}, s ≤ n/2). Tests hold it equal to viem and to `hashVoucher`.
 */
export function createVoucherVerifier({ chainId, vault }: VaultDomainParameters): VoucherVerifier {
  // Only `recover` is used: it takes any digest. Building it also loads (and checks) the native addon.
  const { recover } = createPlayVerifier({ chainId, musicNFT: vault });
  const native = loadNative();
  const bytesOf = (value: Hex) => Buffer.from(value.slice(2), "hex");
  const prefix = new Uint8Array(66);
  prefix.set([0x19, 0x01]);
  prefix.set(hexToBytes(domainSeparator({ domain: vaultDomain({ chainId, vault }) })), 2);
  const struct = new Uint8Array(192);
  struct.set(STREAM_VOUCHER_TYPEHASH, 0);

  const digest = (voucher: StreamVoucher): Uint8Array => {
    // abi.encode(typehash, listener, artist, sessionId, cumulativeAmount, deadline): six 32-byte words.
    struct.fill(0, 32);
    // Native keccak: viem's pure-JS keccak costs about as much as the recover itself.
    struct.set(bytesOf(voucher.listener), 32 + 12);
    struct.set(bytesOf(voucher.artist), 64 + 12);
    struct.set(bytesOf(voucher.sessionId), 96);
    writeUint256(struct, 128, voucher.cumulativeAmount);
    writeUint256(struct, 160, voucher.deadline);
    prefix.set(native.keccak256(struct), 34);
    return native.keccak256(prefix);
  };

  return {
    digest,
    verify: (voucher, signature) => recover(digest(voucher), signature) === voucher.listener.toLowerCase(),
  };
}

function writeUint256(target: Uint8Array, offset: number, value: bigint): void {
  // Range-checked by the frame schema (uint256 / uint64), so 32 bytes always suffice.
  let rest = value;
  for (let index = offset + 31; rest > 0n; index--) {
    target[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}
