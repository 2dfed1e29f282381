import { domainSeparator, hexToBytes, type Address, type Hex } from "viem";
import { createVoucherChecker, VOUCHER_RECORD_BYTES } from "../plays/native.js";

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

/** BeatStreamVault's EIP-712 domain separator, as bytes. */
export function voucherDomainSeparator(parameters: VaultDomainParameters): Uint8Array {
  return hexToBytes(domainSeparator({ domain: vaultDomain(parameters) }));
}

/**
 * Voucher signature checks on this thread: the one fixed struct encoded by hand (native.js, shared with the
 * signature-check threads) and the signer recovered with the native secp256k1 addon, with OpenZeppelin's rules
 * (65 bytes, v ∈ {27, 28}, s ≤ n/2). Tests hold it equal to viem and to `hashVoucher`.
 */
export function createVoucherVerifier(parameters: VaultDomainParameters): VoucherVerifier {
  const checker = createVoucherChecker(voucherDomainSeparator(parameters));
  const record = Buffer.alloc(VOUCHER_RECORD_BYTES);
  const result = Buffer.alloc(1);
  return {
    digest(voucher) {
      packVoucher(voucher, undefined, record, 0);
      return checker.digestOf(record);
    },
    verify(voucher, signature) {
      if (!packVoucher(voucher, signature, record, 0)) return false;
      checker.checkRecords(record, 1, result);
      return result[0] === 1;
    },
  };
}

/**
 * Packs a voucher (and its signature, when given) into a VOUCHER_RECORD_BYTES record at `offset`, the form native.js
 * and the signature-check threads read. False when the signature is not 65 bytes (no record can hold it: invalid).
 */
export function packVoucher(voucher: StreamVoucher, signature: Hex | undefined, target: Buffer, offset: number): boolean {
  target.fill(0, offset, offset + VOUCHER_RECORD_BYTES);
  target.write(voucher.listener.slice(2), offset, 20, "hex");
  target.write(voucher.artist.slice(2), offset + 20, 20, "hex");
  target.write(voucher.sessionId.slice(2), offset + 40, 32, "hex");
  // Range-checked by the frame schema (uint256 / uint64), so the widths always suffice.
  writeUint(target, offset + 72, 32, voucher.cumulativeAmount);
  writeUint(target, offset + 104, 8, voucher.deadline);
  if (signature === undefined) return true;
  if (signature.length !== 2 + 65 * 2) return false;
  target.write(signature.slice(2), offset + 112, 65, "hex");
  return true;
}

function writeUint(target: Buffer, offset: number, bytes: number, value: bigint): void {
  let rest = value;
  for (let index = offset + bytes - 1; rest > 0n && index >= offset; index--) {
    target[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}
