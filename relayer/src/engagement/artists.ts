import type { Address } from "viem";
import type { ChainReader } from "../chain/reader.js";
import { lowerHex } from "../crypto/hex.js";

export type ArtistCatalog = {
  /** The subset of `accounts` (lowercase) that MusicNFT says are creators: the artists a fan can follow. */
  creators(accounts: Iterable<Address>): Promise<Set<Address>>;
};

export type CreateArtistCatalogParameters = {
  reader: Pick<ChainReader, "isCreator">;
  /** How long a "not a creator" answer is reused, so junk addresses cannot turn into an RPC flood. */
  negativeTtlMs: number;
  now?: () => number;
};

/**
 * Which addresses are artists, without a chain read per follow: a yes is kept for good (an address that minted a
 * track stays a creator), a no for `negativeTtlMs` (the address may mint meanwhile); reads in flight are shared, and a
 * failed read is not kept (the request fails with `chain_unavailable` and the next one asks again).
 */
export function createArtistCatalog({ reader, negativeTtlMs, now = Date.now }: CreateArtistCatalogParameters): ArtistCatalog {
  const known = new Set<Address>();
  const refusedAt = new Map<Address, number>();
  const inFlight = new Map<Address, Promise<boolean>>();

  const isCreator = async (account: Address): Promise<boolean> => {
    if (known.has(account)) return true;
    const refused = refusedAt.get(account);
    if (refused !== undefined && now() - refused < negativeTtlMs) return false;
    let read = inFlight.get(account);
    if (read === undefined) {
      read = reader.isCreator(account).finally(() => inFlight.delete(account));
      inFlight.set(account, read);
    }
    const answer = await read;
    if (answer) {
      known.add(account);
      refusedAt.delete(account);
    } else refusedAt.set(account, now());
    return answer;
  };

  return {
    async creators(accounts) {
      const unique = [...new Set([...accounts].map((account): Address => lowerHex(account)))];
      // The zero address never minted (MusicNFT's placeholder): no read for it.
      const answers = await Promise.all(unique.map((account) => (BigInt(account) === 0n ? false : isCreator(account))));
      return new Set(unique.filter((_, index) => answers[index]));
    },
  };
}
