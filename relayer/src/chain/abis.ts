import type { Abi } from "viem";
import { BeatStreamVaultAbi } from "../../../indexer/abis/BeatStreamVault.js";
import { CreatorCoinAbi } from "../../../indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "../../../indexer/abis/CreatorCoinFactory.js";
import { ICreatorRegistryAbi } from "../../../indexer/abis/ICreatorRegistry.js";
import { MusicDEXAbi } from "../../../indexer/abis/MusicDEX.js";
import { MusicNFTAbi } from "../../../indexer/abis/MusicNFT.js";
import { RevenueDistributorAbi } from "../../../indexer/abis/RevenueDistributor.js";

/**
 * Every ABI the relayer calls, from the modules scripts/generate-abis.ts writes from the Hardhat build (the indexer
 * reads the same): whole contract ABIs, so every custom error a call may revert with decodes by name, and nothing is
 * written by hand.
 */
export const musicNFTAbi = MusicNFTAbi;
export const creatorCoinFactoryAbi = CreatorCoinFactoryAbi;
export const creatorCoinAbi = CreatorCoinAbi;
export const vaultAbi = BeatStreamVaultAbi;
/** ICreatorRegistry (MusicNFT in the deployed protocol): whom the vault pays. */
export const creatorRegistryAbi = ICreatorRegistryAbi;
export const musicDEXAbi = MusicDEXAbi;
export const revenueDistributorAbi = RevenueDistributorAbi;

/** The entries of `abi` named in `names` (functions, events or errors), typed as the generated ABI types them. */
export function pickAbi<const abi extends Abi, const name extends string>(abi: abi, names: readonly name[]): Extract<abi[number], { name: name }>[] {
  const wanted = new Set<string>(names);
  return abi.filter((item): item is Extract<abi[number], { name: name }> => "name" in item && item.name !== undefined && wanted.has(item.name));
}

/** The MusicNFT views the relayer reads on the API's behalf; a test holds each equal to the compiled artifact's. */
export const musicNFTReadAbi = pickAbi(MusicNFTAbi, ["totalTracks", "playCount", "creatorOf", "nextBatchId", "isCreator"]);

/** OpenZeppelin AccessControl's member check and events, as every role contract inherits them (MusicNFT's copy). */
export const accessControlAbi = pickAbi(MusicNFTAbi, ["hasRole", "RoleGranted", "RoleRevoked"]);
