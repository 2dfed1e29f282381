import type { Address } from "viem";
import { cacheReads } from "./read-cache.js";
import { lowerHex } from "../crypto/hex.js";

export type CreatorCheck = {
  /** Whether `account` is a creator the vault will pay; a failed read rejects (the caller answers `chain_unavailable`). */
  isCreator(account: Address): Promise<boolean>;
};

export type CreateCreatorCheckParameters = {
  /**
   * The on-chain answer: the vault's own `CREATOR_REGISTRY().isCreator` (MusicNFT in the deployed protocol), so the
   * relayer refuses exactly the payees `settle` would refuse.
   */
  read(account: Address): Promise<boolean>;
};

/**
 * Whom a session may pay, asked once per address: a yes is kept for good (an address that minted a track stays a
 * creator), a no is asked again next time (the address may mint meanwhile), and a failed read is not kept.
 */
export function createCreatorCheck({ read }: CreateCreatorCheckParameters): CreatorCheck {
  const cached = cacheReads(read, (creator) => creator);
  return { isCreator: (account) => cached(lowerHex(account)) };
}
