/**
 * Ponder configuration of the BeatStream indexer, the only one (schema, handlers and API live in indexer/; run
 * `ponder --root indexer --config ../ponder.config.ts …`: Ponder joins --config to --root).
 *
 * Addresses and start blocks come from deployments/<chainId>.json, written by the deploy step; the chain from
 * the environment (see docs/indexer.md for every variable).
 */
import { resolve } from "node:path";
import { createConfig, factory } from "ponder";
import { getAbiItem } from "viem";
import { BeatStreamVaultAbi } from "./indexer/abis/BeatStreamVault.js";
import { CreatorCoinAbi } from "./indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "./indexer/abis/CreatorCoinFactory.js";
import { MusicDEXAbi } from "./indexer/abis/MusicDEX.js";
import { MusicNFTAbi } from "./indexer/abis/MusicNFT.js";
import { RevenueDistributorAbi } from "./indexer/abis/RevenueDistributor.js";
import { loadDeployments } from "./relayer/src/deployments.js";

const ROOT = import.meta.dirname;

const chainId = Number(process.env.CHAIN_ID ?? 31337);
const rpc = process.env[`PONDER_RPC_URL_${chainId}`] ?? process.env.RPC_URL ?? "http://127.0.0.1:8545";
const deployments = await loadDeployments({ dir: resolve(ROOT, process.env.DEPLOYMENTS_DIR ?? "deployments"), chainId });

function deployed(name: string): { address: `0x${string}`; startBlock: number } {
  const contract = deployments.contracts[name];
  if (contract === undefined) throw new Error(`deployments/${chainId}.json has no ${name}: redeploy the protocol`);
  return contract;
}

const factoryContract = deployed("CreatorCoinFactory");

export default createConfig({
  database: process.env.DATABASE_URL
    ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
    : { kind: "pglite", directory: resolve(ROOT, process.env.INDEXER_DATA_DIR ?? ".data/indexer") },
  chains: {
    beatstream: {
      id: chainId,
      rpc,
      pollingInterval: Number(process.env.PONDER_POLLING_INTERVAL_MS ?? (chainId === 31337 ? 250 : 1000)),
      // A local chain restarts from block 0 with new contents under the same id: a cached sync would be stale.
      disableCache: process.env.PONDER_DISABLE_CACHE !== undefined ? process.env.PONDER_DISABLE_CACHE === "true" : chainId === 31337,
    },
  },
  contracts: {
    MusicNFT: { chain: "beatstream", abi: MusicNFTAbi, ...deployed("MusicNFT") },
    CreatorCoinFactory: { chain: "beatstream", abi: CreatorCoinFactoryAbi, ...factoryContract },
    MusicDEX: { chain: "beatstream", abi: MusicDEXAbi, ...deployed("MusicDEX") },
    RevenueDistributor: { chain: "beatstream", abi: RevenueDistributorAbi, ...deployed("RevenueDistributor") },
    BeatStreamVault: { chain: "beatstream", abi: BeatStreamVaultAbi, ...deployed("BeatStreamVault") },
    // Every coin is a clone announced by the factory; its initialize() Transfers precede that event in the
    // same block, and Ponder matches children per block, so the mint Transfers are indexed too.
    CreatorCoin: {
      chain: "beatstream",
      abi: CreatorCoinAbi,
      address: factory({
        address: factoryContract.address,
        event: getAbiItem({ abi: CreatorCoinFactoryAbi, name: "CreatorCoinLaunched" }),
        parameter: "coin",
      }),
      startBlock: factoryContract.startBlock,
    },
  },
});
