import type Secp256k1 from "secp256k1";
import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";
import { NativeBindingError } from "../errors.js";
import { playDomainSeparator, voucherDomainSeparator, type Play, type PlayDomainParameters, type StreamVoucher, type VaultDomainParameters } from "./eip712.js";
import { writeUintBE } from "./hex.js";
import {
  CHECK_RESULT_BYTES,
  createDigestChecker,
  createPlayChecker,
  DIGEST_RECORD_BYTES,
  createVoucherChecker,
  loadNative,
  PLAY_RECORD_BYTES,
  VOUCHER_RECORD_BYTES,
  type NativeAddons,
} from "./native.js";

/** A play and the signature to check against its listener: what a client posts, once validated. */
export type PlayToCheck = { play: Play; signature: Hex };

/** A voucher and the signature to check against its listener. */
export type VoucherToCheck = { voucher: StreamVoucher; signature: Hex };

/** A digest hashed by the caller, the address that must have signed it, and the signature. */
export type DigestToCheck = { digest: Uint8Array; signer: Address; signature: Hex };

/** Signature checks of digests hashed by the caller; the relayer's pool runs them on worker threads. */
export type DigestSignatureChecker = {
  checkDigests(items: readonly DigestToCheck[]): Promise<SignatureCheck[]>;
};

/** What a signature check yields for one play: validity, and keccak256 of the signature (the leaf's sixth field). */
export type SignatureCheck = { valid: boolean; signatureHash: Hex };

/** The native addons (secp256k1 and keccak); a missing binding stops the relayer at start, never a silent fallback. */
export function loadNativeAddons(): NativeAddons {
  try {
    return loadNative();
  } catch (error) {
    throw new NativeBindingError(error);
  }
}

/** The native secp256k1 addon (for tools and tests that sign). */
export function loadNativeSecp256k1(): typeof Secp256k1 {
  return loadNativeAddons().secp;
}

/** keccak256 of the signature bytes: the sixth field of a play's Merkle leaf. */
export function signatureHash(signature: Hex): Hex {
  return bytesToHex(loadNativeAddons().keccak256(hexToBytes(signature)));
}

/** Signature checks for many plays at once; the relayer's pool runs them on worker threads. */
export type PlaySignatureChecker = {
  check(plays: readonly PlayToCheck[]): Promise<SignatureCheck[]>;
};

export type PlayVerifier = PlaySignatureChecker & {
  /** The EIP-712 digest MusicNFT.hashPlay returns for `play`. */
  digest(play: Play): Uint8Array;
  /** The address that signed `digest`, or null when OpenZeppelin's ECDSA.recover would revert. */
  recover(digest: Uint8Array, signature: Hex): Address | null;
  /** Whether `signature` is `play.listener`'s valid signature of `play`. */
  verify(play: Play, signature: Hex): boolean;
};

export type CreatePlayVerifierParameters = PlayDomainParameters;

/**
 * Signature checks on this thread. viem's `hashTypedData` and `recoverTypedDataAddress` (the reference, used by the
 * tests and bench:relayer) are exact but slow (≈5,000 and ≈540 per second per core); native.js encodes the one fixed
 * struct by hand and hashes and recovers with native addons. Tests hold it equal to viem and to
 * MusicNFT.recoverPlaySigner.
 */
export function createPlayVerifier({ chainId, musicNFT }: CreatePlayVerifierParameters): PlayVerifier {
  loadNativeAddons();
  const checker = createPlayChecker(playDomainSeparator({ chainId, musicNFT }));
  const record = Buffer.alloc(PLAY_RECORD_BYTES);
  const digest = (play: Play) => {
    packPlay(play, undefined, record, 0);
    return checker.digestOf(record);
  };
  const recover = (hash: Uint8Array, signature: Hex): Address | null => {
    const signer = checker.recover(hash, hexToBytes(signature));
    return signer === null ? null : bytesToHex(signer);
  };
  return {
    digest,
    recover,
    verify: (play, signature) => recover(digest(play), signature) === play.listener.toLowerCase(),
    async check(plays) {
      const output = Buffer.alloc(plays.length * CHECK_RESULT_BYTES);
      checker.checkRecords(packPlays(plays), plays.length, output);
      return readChecks(output, plays.length);
    },
  };
}

/** Packs plays into PLAY_RECORD_BYTES records (into `target` when given), the form native.js and the worker threads read. */
export function packPlays(plays: readonly PlayToCheck[], target = Buffer.alloc(plays.length * PLAY_RECORD_BYTES)): Buffer {
  plays.forEach(({ play, signature }, index) => packPlay(play, signature, target, index * PLAY_RECORD_BYTES));
  return target;
}

/** Reads CHECK_RESULT_BYTES results back into SignatureChecks. */
export function readChecks(output: Buffer, count: number): SignatureCheck[] {
  return Array.from({ length: count }, (_, index) => {
    const at = index * CHECK_RESULT_BYTES;
    return { valid: output[at] === 1, signatureHash: `0x${output.toString("hex", at + 1, at + CHECK_RESULT_BYTES)}` };
  });
}

/**
 * One record: listener 20, trackId 32, startedAt 8, durationSeconds 4, nonce 32 (big-endian), signature 65. Values
 * reach here range-checked by the input schema (uint256 / uint64 / uint32; hex of the right length). A signature that
 * is not 65 bytes cannot come through the schema; tests that pass one get a record whose check fails.
 */
function packPlay(play: Play, signature: Hex | undefined, target: Buffer, offset: number): void {
  target.fill(0, offset, offset + PLAY_RECORD_BYTES);
  target.write(play.listener.slice(2), offset, 20, "hex");
  writeUintBE(target, offset + 20, 32, play.trackId);
  writeUintBE(target, offset + 52, 8, play.startedAt);
  target.writeUInt32BE(play.durationSeconds, offset + 60);
  target.write(play.nonce.slice(2), offset + 64, 32, "hex");
  if (signature !== undefined && signature.length === 132) target.write(signature.slice(2), offset + 96, 65, "hex");
}

export type VoucherVerifier = {
  /** The digest `BeatStreamVault.hashVoucher` returns. */
  digest(voucher: StreamVoucher): Uint8Array;
  /** Whether `signature` is `voucher.listener`'s, by the rule `settle` applies (65 bytes, v 27/28, low s). */
  verify(voucher: StreamVoucher, signature: Hex): boolean;
};

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
  writeUintBE(target, offset + 72, 32, voucher.cumulativeAmount);
  writeUintBE(target, offset + 104, 8, voucher.deadline);
  if (signature === undefined) return true;
  if (signature.length !== 2 + 65 * 2) return false;
  target.write(signature.slice(2), offset + 112, 65, "hex");
  return true;
}

/**
 * Packs digests into DIGEST_RECORD_BYTES records (into `target` when given). A signature that is not 65 bytes is left
 * as zeros, which never recovers (r = 0): refused.
 */
export function packDigests(items: readonly DigestToCheck[], target = Buffer.alloc(items.length * DIGEST_RECORD_BYTES)): Buffer {
  items.forEach(({ digest, signer, signature }, index) => {
    const offset = index * DIGEST_RECORD_BYTES;
    target.fill(0, offset, offset + DIGEST_RECORD_BYTES);
    target.set(digest.subarray(0, 32), offset);
    target.write(signer.slice(2), offset + 32, 20, "hex");
    if (signature.length === 132) target.write(signature.slice(2), offset + 52, 65, "hex");
  });
  return target;
}

/** Digest signature checks on this thread (the pool's inline mode, and tools). */
export function createDigestVerifier(): DigestSignatureChecker {
  loadNativeAddons();
  const checker = createDigestChecker();
  return {
    async checkDigests(items) {
      const output = Buffer.alloc(items.length * CHECK_RESULT_BYTES);
      checker.checkRecords(packDigests(items), items.length, output);
      return readChecks(output, items.length);
    },
  };
}
