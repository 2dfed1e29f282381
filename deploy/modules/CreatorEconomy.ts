import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id, ZeroHash } from "ethers";

/**
 * The creator economy: RevenueDistributor and CreatorCoinFactory (which deploys the CreatorCoin
 * implementation in its constructor), wired so the factory can register the coins it launches.
 *
 * Parameters (module "CreatorEconomy"):
 * - usdc, musicNFT, dex: addresses of the quote token, MusicNFT (ICreatorPlays) and MusicDEX (required);
 * - admin: governance, receives DEFAULT_ADMIN_ROLE on both contracts (default: the deployer).
 *
 * The deployer (account 0) also keeps DEFAULT_ADMIN_ROLE on the distributor, which it needs to grant
 * REGISTRAR_ROLE here; hand it over and renounce in the protocol module when admin differs.
 * Left to the protocol module: MusicDEX must grant the factory its market-opener role, and relayer and
 * verifier roles are granted on the factory by admin.
 */
export default buildModule("CreatorEconomy", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const usdc = m.getParameter<string>("usdc");
  const musicNFT = m.getParameter<string>("musicNFT");
  const dex = m.getParameter<string>("dex");

  const revenueDistributor = m.contract("RevenueDistributor", [usdc, deployer]);
  const creatorCoinFactory = m.contract("CreatorCoinFactory", [musicNFT, dex, revenueDistributor, admin]);
  m.call(revenueDistributor, "grantRole", [id("REGISTRAR_ROLE"), creatorCoinFactory], {
    id: "GrantRegistrarToFactory",
  });
  // A no-op when admin is the deployer (granting a held role changes nothing).
  // DEFAULT_ADMIN_ROLE is bytes32(0).
  m.call(revenueDistributor, "grantRole", [ZeroHash, admin], {
    id: "GrantDistributorAdmin",
  });
  const creatorCoinImplementation = m.contractAt(
    "CreatorCoin",
    m.staticCall(creatorCoinFactory, "implementation"),
    { id: "CreatorCoinImplementation" },
  );

  return { revenueDistributor, creatorCoinFactory, creatorCoinImplementation };
});
