import type { NetworkConnection } from "hardhat/types/network";
import ProtocolModule from "../../deploy/modules/Protocol.js";

/**
 * Deploys the whole protocol with the Ignition module (every role and link wired) and returns the
 * contracts with their typechain types, connected to the deployer.
 */
export async function deployProtocol({ ethers, ignition }: NetworkConnection<"generic">) {
  const deployed = await ignition.deploy(ProtocolModule);
  const address = (name: keyof typeof deployed) => deployed[name].getAddress();
  return {
    usdc: await ethers.getContractAt("MockUSDC", await address("usdc")),
    musicNFT: await ethers.getContractAt("MusicNFT", await address("musicNFT")),
    distributor: await ethers.getContractAt("RevenueDistributor", await address("distributor")),
    dex: await ethers.getContractAt("MusicDEX", await address("dex")),
    factory: await ethers.getContractAt("CreatorCoinFactory", await address("factory")),
    vault: await ethers.getContractAt("BeatStreamVault", await address("vault")),
  };
}
