import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";
import { ENGAGEMENT_TYPES, playDomainSeparator, type Engagement, type PlayDomainParameters } from "./eip712.js";
import { writeUintBE } from "./hex.js";
import { createRecover } from "./native.js";
import { createDigestVerifier, loadNativeAddons, type DigestSignatureChecker } from "./signatures.js";

/** `Engagement(address fan,string action,…)`, spelled from ENGAGEMENT_TYPES so the two cannot drift apart. */
export const ENGAGEMENT_TYPE = `Engagement(${ENGAGEMENT_TYPES.Engagement.map(({ type, name }) => `${type} ${name}`).join(",")})`;

/** An engagement event and the signature to check against its fan. */
export type EngagementToCheck = { event: Engagement; signature: Hex };

/** What a check yields: whether the fan signed it, and keccak256 of the signature (stored beside it, as for plays). */
export type EngagementCheck = { valid: boolean; signatureHash: Hex };

export type EngagementVerifier = {
  /** The EIP-712 digest viem's `hashTypedData` gives for `event` in MusicNFT's domain. */
  digest(event: Engagement): Uint8Array;
  /** The address that signed `digest`, or null where OpenZeppelin's ECDSA.recover would revert. */
  recover(digest: Uint8Array, signature: Hex): Address | null;
  /** Checks each event against its fan: digests here, recoveries where `signatures` runs them (worker threads). */
  check(events: readonly EngagementToCheck[]): Promise<EngagementCheck[]>;
};

export type CreateEngagementVerifierParameters = PlayDomainParameters & {
  /** Where recoveries run: the relayer's signature-check pool; default this thread. */
  signatures?: DigestSignatureChecker;
};

const STRUCT_WORDS = 1 + ENGAGEMENT_TYPES.Engagement.length;

/**
 * Engagement signature checks with the native keccak and secp256k1 addons (about 20× viem's
 * `recoverTypedDataAddress`). The struct is encoded by hand: one word per field, the two strings as keccak256 of their
 * UTF-8 bytes (EIP-712's rule for dynamic types), then "\x19\x01" ‖ domainSeparator ‖ structHash. Hashing is cheap
 * and stays on this thread; the recoveries (≈90 µs each) go to `signatures`, the pool's worker threads in the relayer,
 * so a 1,000-event request does not hold the HTTP thread. Tests hold it equal to viem on random and edge inputs.
 */
export function createEngagementVerifier({ signatures = createDigestVerifier(), ...parameters }: CreateEngagementVerifierParameters): EngagementVerifier {
  const { keccak256 } = loadNativeAddons();
  const recoverSigner = createRecover();
  const typeHash = keccak256(Buffer.from(ENGAGEMENT_TYPE));
  const prefix = Buffer.alloc(66);
  prefix[0] = 0x19;
  prefix[1] = 0x01;
  prefix.set(playDomainSeparator(parameters), 2);
  const struct = Buffer.alloc(32 * STRUCT_WORDS);

  const digest = (event: Engagement): Uint8Array => {
    struct.fill(0);
    struct.set(typeHash, 0);
    struct.write(event.fan.slice(2), 32 + 12, 20, "hex");
    struct.set(keccak256(Buffer.from(event.action, "utf8")), 64);
    // Range-checked by the input schema (uint256 / uint32 / uint64), so the widths always suffice.
    writeUintBE(struct, 96, 32, event.trackId);
    struct.write(event.artist.slice(2), 128 + 12, 20, "hex");
    struct.write(event.subject.slice(2), 160, 32, "hex");
    struct.set(keccak256(Buffer.from(event.text, "utf8")), 192);
    struct.writeUInt32BE(event.value, 224 + 28);
    struct.write(event.nonce.slice(2), 256, 32, "hex");
    writeUintBE(struct, 288, 32, event.issuedAt);
    prefix.set(keccak256(struct), 34);
    return keccak256(prefix);
  };
  const recover = (hash: Uint8Array, signature: Hex): Address | null => {
    const signer = recoverSigner(hash, hexToBytes(signature));
    return signer === null ? null : bytesToHex(signer);
  };
  return {
    digest,
    recover,
    check: (events) =>
      // Each digest is copied out: `digest` reuses its buffers.
      signatures.checkDigests(events.map(({ event, signature }) => ({ digest: Uint8Array.from(digest(event)), signer: event.fan, signature }))),
  };
}
