/** Bytes of one packed play record: listener 20, trackId 32, startedAt 8, durationSeconds 4, nonce 32, signature 65. */
export declare const PLAY_RECORD_BYTES: 161;
/** Bytes of one packed stream voucher record: listener 20, artist 20, sessionId 32, cumulativeAmount 32, deadline 8, signature 65. */
export declare const VOUCHER_RECORD_BYTES: 177;
/** Bytes of one check result: a validity byte, then keccak256 of the signature. */
export declare const CHECK_RESULT_BYTES: 33;

export type NativeAddons = {
  secp: typeof import("secp256k1");
  /** Ethereum's keccak256 (Keccak padding), synchronous. */
  keccak256(data: Uint8Array): Buffer;
};

/** The native secp256k1 and keccak addons; throws (with `binding` naming which) when one did not load. */
export declare function loadNative(): NativeAddons;

export type PlayChecker = {
  /** The EIP-712 digest of the play in a PLAY_RECORD_BYTES record. */
  digestOf(record: Uint8Array): Buffer;
  /** The signer's 20-byte address, or null where OpenZeppelin's ECDSA.recover would revert. */
  recover(digest: Uint8Array, signature: Uint8Array): Buffer | null;
  /** Checks `count` packed records of `input` into `output` (CHECK_RESULT_BYTES each: valid byte, signature hash). */
  checkRecords(input: Buffer, count: number, output: Buffer): void;
  keccak256(data: Uint8Array): Buffer;
};

/** Play signature checks under MusicNFT's EIP-712 domain (`domainSeparator`: the domain's 32-byte hash). */
export declare function createPlayChecker(domainSeparator: Uint8Array): PlayChecker;

export type VoucherChecker = {
  /** The EIP-712 digest of the voucher in a VOUCHER_RECORD_BYTES record (BeatStreamVault.hashVoucher). */
  digestOf(record: Uint8Array): Buffer;
  /** Checks `count` packed records of `input` into `output`: one byte each, 1 where the listener signed. */
  checkRecords(input: Buffer, count: number, output: Buffer): void;
};

/** Stream voucher signature checks under BeatStreamVault's EIP-712 domain (`domainSeparator`: its 32-byte hash). */
export declare function createVoucherChecker(domainSeparator: Uint8Array): VoucherChecker;

/**
 * OpenZeppelin v5 ECDSA.recover with the native addons: the signer's 20-byte address, or null where it reverts (bad
 * length, v not 27/28, high s, r/s out of range).
 */
export declare function createRecover(): (digest: Uint8Array, signature: Uint8Array) => Buffer | null;

/** Bytes of one packed digest record: the EIP-712 digest 32, the expected signer 20, signature 65. */
export declare const DIGEST_RECORD_BYTES: 117;

export type DigestChecker = {
  /** Checks `count` packed digest records of `input` into `output` (CHECK_RESULT_BYTES each: valid byte, signature hash). */
  checkRecords(input: Buffer, count: number, output: Buffer): void;
};

/** Signature checks of digests hashed by the caller (Engagement's strings are hashed on the HTTP thread). */
export declare function createDigestChecker(): DigestChecker;
