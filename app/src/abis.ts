/**
 * The protocol's ABIs, imported from indexer/abis: generated from the Hardhat artifacts by scripts/generate-abis.ts
 * (the indexer's own source; test/indexer/abis.ts keeps them equal to the build). Never written by hand.
 */
import { erc20Abi, type Abi } from "viem";

type AbiError = Extract<Abi[number], { type: "error" }>;
import { BeatStreamVaultAbi } from "../../indexer/abis/BeatStreamVault.ts";
import { CreatorCoinAbi } from "../../indexer/abis/CreatorCoin.ts";
import { CreatorCoinFactoryAbi } from "../../indexer/abis/CreatorCoinFactory.ts";
import { MockUSDCAbi } from "../../indexer/abis/MockUSDC.ts";
import { MusicDEXAbi } from "../../indexer/abis/MusicDEX.ts";
import { MusicNFTAbi } from "../../indexer/abis/MusicNFT.ts";
import { RevenueDistributorAbi } from "../../indexer/abis/RevenueDistributor.ts";

export { BeatStreamVaultAbi, CreatorCoinAbi, CreatorCoinFactoryAbi, MockUSDCAbi, MusicDEXAbi, MusicNFTAbi, RevenueDistributorAbi };

/** Every custom error any protocol contract can raise, once each: a revert from a nested call decodes too. */
export const PROTOCOL_ERRORS: readonly AbiError[] = (() => {
  const seen = new Map<string, AbiError>();
  for (const abi of [MusicDEXAbi, CreatorCoinAbi, RevenueDistributorAbi, CreatorCoinFactoryAbi, MusicNFTAbi, BeatStreamVaultAbi, MockUSDCAbi] as readonly Abi[]) {
    for (const item of abi) if (item.type === "error") seen.set(`${item.name}(${item.inputs.map((input) => input.type).join(",")})`, item);
  }
  return [...seen.values()];
})();

export { erc20Abi };
