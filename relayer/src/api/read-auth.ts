import { recoverMessageAddress, type Address, type Hex } from "viem";
import { ReadAuthError } from "../errors.js";

/** The longest a read-access proof may stay valid: a leaked header shows a fan's private playlists for at most this. */
export const READ_AUTH_MAX_SECONDS = 30 * 86_400;

/** The text a fan signs (EIP-191 personal_sign) to read its own private data until `expiry` (unix seconds). */
export function readAccessMessage(address: Address, expiry: number | bigint): string {
  return `BeatStream read access for ${address.toLowerCase()} until ${expiry}`;
}

const HEADER = /^BeatStream ([1-9][0-9]{0,11})\.(0x[0-9a-fA-F]{130})$/;

/**
 * Whether the request's `Authorization: BeatStream <expiry>.<signature>` proves it comes from `owner`: false when no
 * such header was sent (an anonymous read), true when it proves it, and a `ReadAuthError` (401) when a header was sent
 * that is malformed, forged, expired, too long-lived, or signed by someone else.
 */
export async function provesOwner(header: string | undefined, owner: Address, now: number): Promise<boolean> {
  if (header === undefined || header === "") return false;
  const match = HEADER.exec(header);
  if (match === null) throw new ReadAuthError("read_auth_invalid", "Authorization must be `BeatStream <expiry>.<signature>` (65-byte hex signature)");
  const expiry = Number(match[1]);
  if (expiry <= now) throw new ReadAuthError("read_auth_expired", `the read-access proof expired at ${expiry}`);
  if (expiry > now + READ_AUTH_MAX_SECONDS) throw new ReadAuthError("read_auth_invalid", `a read-access proof may last at most ${READ_AUTH_MAX_SECONDS} seconds`);
  let signer: Address;
  try {
    signer = await recoverMessageAddress({ message: readAccessMessage(owner, expiry), signature: match[2] as Hex });
  } catch {
    throw new ReadAuthError("read_auth_invalid", "the read-access signature does not recover to any address");
  }
  if (signer.toLowerCase() !== owner.toLowerCase()) throw new ReadAuthError("read_auth_wrong_signer", `the read-access proof is not signed by ${owner.toLowerCase()}`);
  return true;
}
