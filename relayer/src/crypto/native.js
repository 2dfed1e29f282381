// Plain JavaScript on purpose: worker threads load this file without a TypeScript loader (tsx and Hardhat register
// theirs on the main thread only). Types live in native.d.ts beside it.
import { createRequire } from "node:module";
import { dirname } from "node:path";

const require = createRequire(import.meta.url);

/** Bytes of one packed play record: listener 20, trackId 32, startedAt 8, durationSeconds 4, nonce 32, signature 65. */
export const PLAY_RECORD_BYTES = 161;
/** Bytes of one check result: a validity byte, then keccak256 of the signature. */
export const CHECK_RESULT_BYTES = 33;

/** Bytes of one packed digest record: the EIP-712 digest 32, the expected signer 20, signature 65. */
export const DIGEST_RECORD_BYTES = 117;

/** Bytes of one packed stream voucher record: listener 20, artist 20, sessionId 32, cumulativeAmount 32, deadline 8, signature 65. */
export const VOUCHER_RECORD_BYTES = 177;

const PLAY_TYPE = "Play(address listener,uint256 trackId,uint64 startedAt,uint32 durationSeconds,bytes32 nonce)";
const VOUCHER_TYPE = "StreamVoucher(address listener,address artist,bytes32 sessionId,uint256 cumulativeAmount,uint64 deadline)";
// secp256k1 n/2, big-endian: OpenZeppelin's ECDSA rejects s above it (the malleable twin of a signature).
const HALF_N = Buffer.from("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", "hex");

let loaded;

/**
 * The native secp256k1 and keccak addons, loaded directly: both packages fall back to pure JavaScript without a
 * word when their binding is missing (20× slower for secp256k1, 7× for keccak), so a missing binding throws here
 * and stops the relayer at start instead.
 */
export function loadNative() {
  if (loaded !== undefined) return loaded;
  let secp;
  let KeccakState;
  try {
    secp = require("secp256k1/bindings");
  } catch (cause) {
    throw Object.assign(new Error("the native secp256k1 binding (secp256k1/bindings) did not load", { cause }), { binding: "secp256k1" });
  }
  try {
    KeccakState = require("node-gyp-build")(dirname(require.resolve("keccak/package.json")));
    if (typeof KeccakState !== "function") throw new Error("not an N-API addon");
  } catch (cause) {
    throw Object.assign(new Error("the native keccak binding (keccak's prebuilt addon) did not load", { cause }), { binding: "keccak" });
  }
  const state = new KeccakState();
  /** keccak256, as Ethereum uses it (Keccak padding 0x01, not SHA3's 0x06). Synchronous, reuses one state. */
  const keccak256 = (data) => {
    state.initialize(1088, 512);
    state.absorb(data);
    state.absorbLastFewBits(0x01);
    return state.squeeze(32);
  };
  loaded = { secp, keccak256 };
  return loaded;
}

/**
 * OpenZeppelin v5 ECDSA.recover with the native addons: the signer's 20-byte address, or null where it reverts (bad
 * length, v not 27/28, high s, r/s out of range, r no curve point's x).
 */
export function createRecover() {
  const { secp, keccak256 } = loadNative();
  return (digest, signature) => {
    if (signature.length !== 65) return null;
    const v = signature[64];
    if (v !== 27 && v !== 28) return null;
    if (Buffer.compare(signature.subarray(32, 64), HALF_N) > 0) return null;
    let publicKey;
    try {
      // Throws for r or s outside [1, n) and for an r that is no curve point's x: ecrecover's address(0).
      publicKey = secp.ecdsaRecover(signature.subarray(0, 64), v - 27, digest, false);
    } catch {
      return null;
    }
    return keccak256(publicKey.subarray(1)).subarray(12);
  };
}

/** Calls `fn` with each of the `count` records of `bytes` bytes packed in `input`, and its index. */
function forEachRecord(input, count, bytes, fn) {
  for (let index = 0; index < count; index++) fn(input.subarray(index * bytes, (index + 1) * bytes), index);
}

/** Whether `signer` (a recovered address, or null) is the signer a record names in its first 20 bytes. */
function signedBy(signer, record) {
  return signer !== null && Buffer.compare(signer, record.subarray(0, 20)) === 0;
}

/**
 * The EIP-712 digest of one packed record type: the struct's typehash, then one 32-byte word per field, each field
 * copied from the record (where the fields lie back to back, `fieldBytes` long each) right-aligned in its word,
 * hashed under "\x19\x01" ‖ domainSeparator.
 */
function createDigester(domainSeparator, type, fieldBytes) {
  const { keccak256 } = loadNative();
  const prefix = Buffer.alloc(66);
  prefix[0] = 0x19;
  prefix[1] = 0x01;
  prefix.set(domainSeparator, 2);
  const struct = Buffer.alloc(32 * (1 + fieldBytes.length));
  struct.set(keccak256(Buffer.from(type)), 0);
  // [record start, record end, struct offset] per field.
  const layout = [];
  let from = 0;
  fieldBytes.forEach((bytes, index) => {
    layout.push([from, from + bytes, 32 * (index + 2) - bytes]);
    from += bytes;
  });
  return (record) => {
    struct.fill(0, 32);
    for (const [from, to, at] of layout) struct.set(record.subarray(from, to), at);
    prefix.set(keccak256(struct), 34);
    return keccak256(prefix);
  };
}

// Field sizes in record order. Play: listener, trackId, startedAt (uint64), durationSeconds (uint32), nonce.
const PLAY_FIELD_BYTES = [20, 32, 8, 4, 32];
// Voucher: listener, artist, sessionId, cumulativeAmount, deadline (uint64).
const VOUCHER_FIELD_BYTES = [20, 20, 32, 32, 8];

/**
 * Checks packed plays against MusicNFT's EIP-712 domain. `domainSeparator` is the domain's 32-byte hash.
 * The digest is abi.encode(PLAY_TYPEHASH, listener, trackId, startedAt, durationSeconds, nonce) hashed under
 * "\x19\x01" ‖ domainSeparator, exactly MusicNFT.hashPlay; recovery follows OpenZeppelin v5 ECDSA.recover.
 */
export function createPlayChecker(domainSeparator) {
  const { keccak256 } = loadNative();
  /** The EIP-712 digest of the play in `record` (a PLAY_RECORD_BYTES view). */
  const digestOf = createDigester(domainSeparator, PLAY_TYPE, PLAY_FIELD_BYTES);
  const recover = createRecover();

  /** Checks `count` records of `input` into `output` (CHECK_RESULT_BYTES each). */
  const checkRecords = (input, count, output) =>
    forEachRecord(input, count, PLAY_RECORD_BYTES, (record, index) => {
      const signature = record.subarray(96, 161);
      const at = index * CHECK_RESULT_BYTES;
      output[at] = signedBy(recover(digestOf(record), signature), record) ? 1 : 0;
      output.set(keccak256(signature), at + 1);
    });

  return { digestOf, recover, checkRecords, keccak256 };
}

/**
 * Checks packed stream vouchers against BeatStreamVault's EIP-712 domain: abi.encode(STREAM_VOUCHER_TYPEHASH,
 * listener, artist, sessionId, cumulativeAmount, deadline) under "\x19\x01" ‖ domainSeparator, exactly
 * BeatStreamVault.hashVoucher, recovered by the rule `settle` applies.
 */
export function createVoucherChecker(domainSeparator) {
  /** The EIP-712 digest of the voucher in `record` (a VOUCHER_RECORD_BYTES view). */
  const digestOf = createDigester(domainSeparator, VOUCHER_TYPE, VOUCHER_FIELD_BYTES);
  const recover = createRecover();

  /** Checks `count` records of `input` into `output`: one byte each, 1 where the listener signed the voucher. */
  const checkRecords = (input, count, output) =>
    forEachRecord(input, count, VOUCHER_RECORD_BYTES, (record, index) => {
      output[index] = signedBy(recover(digestOf(record), record.subarray(112, 177)), record) ? 1 : 0;
    });

  return { digestOf, checkRecords };
}

/**
 * Checks digests hashed elsewhere (structs with dynamic fields, such as Engagement, whose strings the caller hashes):
 * each record is a digest, the address that must have signed it, and the signature. Output as for plays: a validity
 * byte, then keccak256 of the signature (CHECK_RESULT_BYTES per record).
 */
export function createDigestChecker() {
  const { keccak256 } = loadNative();
  const recover = createRecover();
  const checkRecords = (input, count, output) =>
    forEachRecord(input, count, DIGEST_RECORD_BYTES, (record, index) => {
      const signature = record.subarray(52, 117);
      const at = index * CHECK_RESULT_BYTES;
      const signer = recover(record.subarray(0, 32), signature);
      output[at] = signer !== null && Buffer.compare(signer, record.subarray(32, 52)) === 0 ? 1 : 0;
      output.set(keccak256(signature), at + 1);
    });
  return { checkRecords };
}
