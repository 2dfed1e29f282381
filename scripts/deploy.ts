/**
 * Deploys the whole protocol with its Ignition module and writes deployments/<chainId>.json
 * (addresses and start blocks). Ignition keeps a journal per chain, so running it again against the
 * same chain deploys nothing and rewrites the same file.
 *
 *   npm run deploy -- --network localhost
 */
import { readFile, rm } from "node:fs/promises";
import { network } from "hardhat";
import { getAddress } from "viem";
import ProtocolModule from "../deploy/modules/Protocol.js";
import { writeDeployments, type DeployedContract } from "../relayer/src/deployments.js";

const { ethers, ignition } = await network.create();
const chainId = Number((await ethers.provider.getNetwork()).chainId);
await forgetJournalOfAGoneChain(chainId);
const deployed = await ignition.deploy(ProtocolModule);

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
  contracts[name] = { address: getAddress(address), startBlock };
}

/**
 * A local chain restarts empty while Ignition's journal (deploy/deployments/chain-<id>) remembers the
 * last one; a journal whose contracts have no code describes a chain that is gone, so start afresh.
 */
async function forgetJournalOfAGoneChain(id: number): Promise<void> {
  const journalDir = `deploy/deployments/chain-${id}`;
  let addresses: Record<string, string>;
  try {
    addresses = JSON.parse(await readFile(`${journalDir}/deployed_addresses.json`, "utf8"));
  } catch {
    return; // no journal yet
  }
  const first = Object.values(addresses)[0];
  if (first !== undefined && (await ethers.provider.getCode(first)) === "0x") {
    console.log(`${journalDir} describes a chain that is gone (no code at ${first}): deploying afresh`);
    await rm(journalDir, { recursive: true, force: true });
  }
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

const file = await writeDeployments({ dir: "deployments", deployments: { chainId, contracts } });
console.table(Object.entries(contracts).map(([name, c]) => ({ contract: name, ...c })));
console.log(`wrote ${file}`);
