/**
 * Deploys the whole protocol with its Ignition module and writes deployments/<chainId>.json
 * (addresses and start blocks). Ignition keeps a journal per chain, so running it again against the
 * same chain deploys nothing and rewrites the same file.
 *
 *   npm run deploy -- --network localhost
 */
import { network } from "hardhat";
import ProtocolModule from "../deploy/modules/Protocol.js";
import { writeDeployments, type DeployedContract } from "../deploy/deployments.js";

const { ethers, ignition } = await network.create();
const deployed = await ignition.deploy(ProtocolModule);
const chainId = Number((await ethers.provider.getNetwork()).chainId);

const names = {
  MockUSDC: deployed.usdc,
  MusicNFT: deployed.musicNFT,
  RevenueDistributor: deployed.distributor,
  MusicDEX: deployed.dex,
  CreatorCoinFactory: deployed.factory,
  BeatStreamVault: deployed.vault,
};
const contracts: Record<string, DeployedContract> = {};
for (const [name, contract] of Object.entries(names)) {
  const tx = contract.deploymentTransaction();
  const address = await contract.getAddress();
  // A contract deployed in an earlier run comes back without its transaction: find its block by code.
  const startBlock = tx ? (await tx.wait())!.blockNumber : await firstBlockWithCode(address);
  contracts[name] = { address, startBlock };
}

/** Binary search for the block in which `address` got its code (it never loses it). */
async function firstBlockWithCode(address: string): Promise<number> {
  let low = 0;
  let high = await ethers.provider.getBlockNumber();
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if ((await ethers.provider.getCode(address, mid)) === "0x") low = mid + 1;
    else high = mid;
  }
  return low;
}

const file = await writeDeployments({ chainId, contracts });
console.table(Object.entries(contracts).map(([name, c]) => ({ contract: name, ...c })));
console.log(`wrote ${file}`);
