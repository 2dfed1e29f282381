import { createRequire } from "node:module";
import type Secp256k1 from "secp256k1";
import { bytesToHex, domainSeparator, hexToBytes, keccak256, toBytes, type Address, type Hex } from "viem";
import { NativeBindingError } from "../errors.js";

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

const PLAY_TYPEHASH = keccak256(
  toBytes("Play(address listener,uint256 trackId,uint64 startedAt,uint32 durationSeconds,bytes32 nonce)"),
  "bytes",
);

/** secp256k1 group order n, and n/2: OpenZeppelin's ECDSA rejects s above it (malleable twin signatures). */
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** A play as the relayer handles it, after the input schema: lowercase hex, integers as bigint. */
export type Play = {
  listener: Address;
  trackId: bigint;
  startedAt: bigint;
  durationSeconds: number;
  nonce: Hex;
};

export type PlayDomainParameters = { chainId: number; musicNFT: Address };

/** MusicNFT's EIP-712 domain: name "MusicNFT", version "1". */
export function playDomain({ chainId, musicNFT }: PlayDomainParameters) {
  return { name: "MusicNFT", version: "1", chainId, verifyingContract: musicNFT } as const;
}

let native: typeof Secp256k1 | undefined;

/**
 * The native secp256k1 addon. `require("secp256k1")` silently falls back to pure JS (~20× slower) when the
 * binding is missing, so the binding is loaded directly and its absence stops the relayer at start.
 */
export function loadNativeSecp256k1(): typeof Secp256k1 {
  if (native === undefined) {
    try {
      native = createRequire(import.meta.url)("secp256k1/bindings");
    } catch (error) {
      throw new NativeBindingError(error);
    }
  }
  // The assignment above either set it or threw.
  return native!;
}

export type PlayVerifier = {
  /** The EIP-712 digest MusicNFT.hashPlay returns for `play`. */
  digest(play: Play): Uint8Array;
  /** The address that signed `digest`, or null when OpenZeppelin's ECDSA.recover would revert. */
  recover(digest: Uint8Array, signature: Hex): Address | null;
  /** Whether `signature` is `play.listener`'s valid signature of `play`. */
  verify(play: Play, signature: Hex): boolean;
};

export type CreatePlayVerifierParameters = PlayDomainParameters;

/**
 * Signature checks on the relayer's hot path. viem's `hashTypedData` and `recoverTypedDataAddress` are exact but
 * slow (≈5,000 and ≈540 per second per core); this encodes the one fixed struct by hand and recovers with the
 * native addon. Tests hold it equal to viem and to MusicNFT.recoverPlaySigner.
 */
export function createPlayVerifier({ chainId, musicNFT }: CreatePlayVerifierParameters): PlayVerifier {
  const secp = loadNativeSecp256k1();
  const prefix = new Uint8Array(66);
  prefix.set([0x19, 0x01]);
  prefix.set(hexToBytes(domainSeparator({ domain: playDomain({ chainId, musicNFT }) })), 2);
  const struct = new Uint8Array(192);
  struct.set(PLAY_TYPEHASH, 0);

  const digest = (play: Play): Uint8Array => {
    // abi.encode(typehash, listener, trackId, startedAt, durationSeconds, nonce): six 32-byte words.
    struct.fill(0, 32);
    struct.set(hexToBytes(play.listener), 32 + 12);
    writeUint256(struct, 64, play.trackId);
    writeUint256(struct, 96, play.startedAt);
    writeUint256(struct, 128, BigInt(play.durationSeconds));
    struct.set(hexToBytes(play.nonce), 160);
    prefix.set(keccak256(struct, "bytes"), 34);
    return keccak256(prefix, "bytes");
  };

  const recover = (hash: Uint8Array, signature: Hex): Address | null => {
    const bytes = hexToBytes(signature);
    // OpenZeppelin v5 ECDSA.recover(bytes) takes 65-byte (r, s, v) signatures only, v ∈ {27, 28}, s ≤ n/2.
    if (bytes.length !== 65) return null;
    const v = bytes[64];
    if (v !== 27 && v !== 28) return null;
    if (BigInt(bytesToHex(bytes.subarray(32, 64))) > SECP256K1_HALF_N) return null;
    let publicKey: Uint8Array;
    try {
      // Throws for r or s outside [1, n) and for points not on the curve: what ecrecover answers with address(0).
      publicKey = secp.ecdsaRecover(bytes.subarray(0, 64), v - 27, hash, false);
    } catch {
      return null;
    }
    return bytesToHex(keccak256(publicKey.subarray(1), "bytes").subarray(12));
  };

  return {
    digest,
    recover,
    verify: (play, signature) => recover(digest(play), signature) === play.listener.toLowerCase(),
  };
}

/** keccak256 of the signature bytes: the sixth field of a play's Merkle leaf. */
export function signatureHash(signature: Hex): Hex {
  return keccak256(signature);
}

function writeUint256(target: Uint8Array, offset: number, value: bigint): void {
  // Values reach here range-checked by the input schema (uint256 / uint64 / uint32), so 32 bytes always suffice.
  let rest = value;
  for (let index = offset + 31; rest > 0n; index--) {
    target[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}
