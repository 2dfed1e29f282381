/**
 * Deploys the whole protocol with its Ignition module and writes deployments/<chainId>.json
 * (addresses, start blocks and the accounts the roles were granted to). Ignition keeps a journal per chain, so
 * running it again against the same chain deploys nothing and rewrites the same file.
 *
 *   npm run deploy -- --network localhost            # parameters: deploy/parameters/localhost.json
 *   npm run deploy -- --network baseSepolia          # BASE_SEPOLIA_RPC_URL, DEPLOYER_PRIVATE_KEY, COMMITTER_ADDRESS, …
 *
 * Environment: DEPLOY_PARAMETERS (another parameters file), DEPLOYMENTS_DIR (default `deployments`),
 * LOCALHOST_RPC_URL (the `localhost` network's URL, default http://127.0.0.1:8545), IGNITION_DEPLOYMENT_ID (the
 * journal's name under deploy/deployments, default chain-<chainId>; tests give theirs a name of their own).
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import hre, { network } from "hardhat";
import { getAddress, type Address } from "viem";
import { loadDeployParameters } from "../deploy/load-parameters.js";
import { planProtocolDeploy } from "../deploy/plan.js";
import { loadDeployments, writeDeployments, type DeployedContract } from "../relayer/src/deployments.js";

const { ethers, ignition, networkName } = await network.create();
const chainId = Number((await ethers.provider.getNetwork()).chainId);
const deploymentsDir = process.env.DEPLOYMENTS_DIR || "deployments";
const { file: parametersFile, parameters: loaded } = await loadDeployParameters({ network: networkName });
// A network whose parameters name a `usdc` runs on that token; every other one gets MockUSDC. An admin other than
// the deployer gets governance, and the deployer renounces what it held.
const plan = planProtocolDeploy({ parameters: loaded, accounts: (await ethers.getSigners()).map((signer) => signer.address) });
const { externalUsdc, parameters } = plan;
console.log(`network ${networkName} (chain ${chainId}), parameters ${parametersFile ?? "(module defaults)"}, USDC ${externalUsdc ? "existing token" : "MockUSDC deployed here"}`);
console.log(`roles: ${Object.entries(plan.accounts).map(([job, address]) => `${job} ${address}`).join(", ")}; ${plan.handOver ? `the deployer ${plan.deployer} hands governance over and keeps nothing` : "the deployer is the admin"}`);
const deploymentId = process.env.IGNITION_DEPLOYMENT_ID || `chain-${chainId}`;
await forgetJournalOfAGoneChain(join(hre.config.paths.ignition, "deployments", deploymentId));
const deployed = await ignition.deploy(plan.module, { parameters, deploymentId });

const previous = await loadDeployments({ dir: deploymentsDir, chainId }).catch(() => undefined);
const names = {
  MusicNFT: deployed.musicNFT,
  RevenueDistributor: deployed.distributor,
  MusicDEX: deployed.dex,
  CreatorCoinFactory: deployed.factory,
  BeatStreamVault: deployed.vault,
  ...(externalUsdc ? {} : { MockUSDC: deployed.usdc }),
};
const contracts: Record<string, DeployedContract> = {};
for (const [name, contract] of Object.entries(names)) {
  const tx = contract.deploymentTransaction();
  const address = getAddress(await contract.getAddress());
  contracts[name] = { address, startBlock: tx ? (await tx.wait())!.blockNumber : await knownStartBlock(name, address) };
}
// Every network names its USDC under one key; MockUSDC (local) is the same contract under its own name.
const usdc = getAddress(await deployed.usdc.getAddress());
contracts.USDC = { address: usdc, startBlock: contracts.MockUSDC?.startBlock ?? 0 };

/**
 * A contract deployed in an earlier run comes back without its transaction: its start block is in the deployments
 * file written then, or else found by its code (a binary search over history, which needs an archive node).
 */
async function knownStartBlock(name: string, address: Address): Promise<number> {
  const known = previous?.contracts[name];
  if (known !== undefined && known.address === address) return known.startBlock;
  return firstBlockWithCode(address);
}

/**
 * A local chain restarts empty while Ignition's journal (deploy/deployments/chain-<id>) remembers the
 * last one; a journal whose contracts have no code describes a chain that is gone, so start afresh.
 */
async function forgetJournalOfAGoneChain(journalDir: string): Promise<void> {
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

// The holders as granted by this deploy; governance may rotate them since (`npm run relayer -- status` reads the chain).
const { treasury: _treasury, ...roles } = plan.accounts;
const file = await writeDeployments({ dir: deploymentsDir, deployments: { chainId, contracts, roles } });
console.table(Object.entries(contracts).map(([name, c]) => ({ contract: name, ...c })));
console.log(`wrote ${file}`);
