import type { NetworkConnection } from "hardhat/types/network";
import type { DeployParameters } from "../../deploy/load-parameters.js";
import { planProtocolDeploy } from "../../deploy/plan.js";

/**
 * Deploys the whole protocol as `npm run deploy` does (deploy/plan.ts picks the module and fills every role default,
 * then the Ignition module wires every role and link) and returns the contracts with their typechain types,
 * connected to the deployer, and the accounts that hold the roles. Without parameters: the local defaults (account
 * #0 deploys and governs, account #1 commits, reports and settles).
 */
export async function deployProtocol({ ethers, ignition }: NetworkConnection<"generic">, parameters: DeployParameters = {}) {
  const plan = planProtocolDeploy({ parameters, accounts: (await ethers.getSigners()).map((signer) => signer.address) });
  const deployed = await ignition.deploy(plan.module, { parameters: plan.parameters });
  const address = (name: keyof typeof deployed) => deployed[name].getAddress();
  return {
    usdc: await ethers.getContractAt("MockUSDC", await address("usdc")),
    musicNFT: await ethers.getContractAt("MusicNFT", await address("musicNFT")),
    distributor: await ethers.getContractAt("RevenueDistributor", await address("distributor")),
    dex: await ethers.getContractAt("MusicDEX", await address("dex")),
    factory: await ethers.getContractAt("CreatorCoinFactory", await address("factory")),
    vault: await ethers.getContractAt("BeatStreamVault", await address("vault")),
    plan,
  };
}
