import type Secp256k1 from "secp256k1";
import { bytesToHex, domainSeparator, hexToBytes, type Address, type Hex } from "viem";
import { NativeBindingError } from "../errors.js";
import { CHECK_RESULT_BYTES, createPlayChecker, loadNative, PLAY_RECORD_BYTES, type NativeAddons } from "./native.js";

/** The EIP-712 `Play` type, field for field as MusicNFT's PLAY_TYPEHASH spells it. */
export const PLAY_TYPES = {
  Play: [
    { name: "listener", type: "address" },
    { name: "trackId", type: "uint256" },
    { name: "startedAt", type: "uint64" },
    { name: "durationSeconds", type: "uint32" },
    { name: "nonce", type: "bytes32" },
  ],
} as const;

/** A play as the relayer handles it, after the input schema: lowercase hex, integers as bigint. */
export type Play = {
  listener: Address;
  trackId: bigint;
  startedAt: bigint;
  durationSeconds: number;
  nonce: Hex;
};

/** A play with its listener's signature: what a client posts, once validated. */
export type SignedPlay = { play: Play; signature: Hex };

/** What a signature check yields for one play: validity, and keccak256 of the signature (the leaf's sixth field). */
export type SignatureCheck = { valid: boolean; signatureHash: Hex };

export type PlayDomainParameters = { chainId: number; musicNFT: Address };

/** MusicNFT's EIP-712 domain: name "MusicNFT", version "1". */
export function playDomain({ chainId, musicNFT }: PlayDomainParameters) {
  return { name: "MusicNFT", version: "1", chainId, verifyingContract: musicNFT } as const;
}

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

/** Signature checks for many plays at once; the relayer's pool runs them on worker threads. */
export type PlaySignatureChecker = {
  check(plays: readonly SignedPlay[]): Promise<SignatureCheck[]>;
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
 * Signature checks on this thread. viem's `hashTypedData` and `recoverTypedDataAddress` are exact but slow (≈5,000
 * and ≈540 per second per core); native.js encodes the one fixed struct by hand and hashes and recovers with native
 * addons. Tests hold it equal to viem and to MusicNFT.recoverPlaySigner.
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

/** MusicNFT's EIP-712 domain separator, as bytes. */
export function playDomainSeparator(parameters: PlayDomainParameters): Uint8Array {
  return hexToBytes(domainSeparator({ domain: playDomain(parameters) }));
}

/** Packs plays into PLAY_RECORD_BYTES records (into `target` when given), the form native.js and the worker threads read. */
export function packPlays(plays: readonly SignedPlay[], target = Buffer.alloc(plays.length * PLAY_RECORD_BYTES)): Buffer {
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
  writeBigEndian(target, offset + 20, 32, play.trackId);
  writeBigEndian(target, offset + 52, 8, play.startedAt);
  target.writeUInt32BE(play.durationSeconds, offset + 60);
  target.write(play.nonce.slice(2), offset + 64, 32, "hex");
  if (signature !== undefined && signature.length === 132) target.write(signature.slice(2), offset + 96, 65, "hex");
}

function writeBigEndian(target: Buffer, offset: number, bytes: number, value: bigint): void {
  let rest = value;
  for (let index = offset + bytes - 1; rest > 0n && index >= offset; index--) {
    target[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** keccak256 of the signature bytes: the sixth field of a play's Merkle leaf. */
export function signatureHash(signature: Hex): Hex {
  return bytesToHex(loadNativeAddons().keccak256(hexToBytes(signature)));
}
