/**
 * The shape of the app's `/config.json`: written by scripts/stack/app-config.ts (from deployments/<chainId>.json and
 * the endpoints of whoever serves the app), read and checked by app/src/config.ts. No imports, so both sides (the
 * bundle and Node, Vite's config included) can share it.
 */

/** The contracts the app calls; the deployments file may list more. */
export const CONTRACT_NAMES = ["MusicNFT", "CreatorCoinFactory", "MusicDEX", "RevenueDistributor", "BeatStreamVault", "USDC"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export type AppConfig = {
  chainId: number;
  chainName: string;
  rpcUrl: string;
  relayerUrl: string;
  indexerUrl: string;
  contracts: Record<ContractName, `0x${string}`> & { MockUSDC?: `0x${string}` };
  /** Who the deploy granted each role (deployments file `roles`): the operator page checks them on-chain. */
  roles: Record<string, `0x${string}`>;
  /** Local chain only: the Hardhat node's funded test accounts as a "dev wallet" (the node signs for them). */
  devWallet: boolean;
};
