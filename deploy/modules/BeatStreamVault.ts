import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The local stand-in for USDC. On a live network, replace it in the protocol module with
 * `m.contractAt("IERC20", m.getParameter("usdc"))`.
 */
export const BeatStreamVaultUSDCModule = buildModule("BeatStreamVaultUSDC", (m) => {
  const usdc = m.contract("MockUSDC");
  return { usdc };
});

/**
 * BeatStreamVault: listeners' prepaid USDC settled to artists through signed vouchers.
 *
 * Parameters (module "BeatStreamVault"):
 * - `creatorRegistry` (required) the ICreatorRegistry that says who may be paid: MusicNFT's address
 *   (every address that minted a track). There is no default: a vault without one would pay anyone;
 * - `withdrawalDelay` seconds of unpaused time between a withdrawal request and its payout (default one
 *   day, time enough for the relayer to settle a listener's last vouchers);
 * - `admin` holder of DEFAULT_ADMIN_ROLE and PAUSER_ROLE (default: the first account);
 * - `relayer` holder of RELAYER_ROLE, the only caller of `settle` (default: the second account);
 * - `coinFactory` the CreatorCoinFactory whose coins receive creators' holder shares (default: none, the zero
 *   address, which disables holder shares: the vault on its own, without the creator economy);
 * - `distributionPeriod` seconds between two distributions of a creator's holder revenue (default 91 days).
 *   The grant is sent from the deploying account, so `admin` must be that account.
 */
const BeatStreamVaultModule = buildModule("BeatStreamVault", (m) => {
  const { usdc } = m.useModule(BeatStreamVaultUSDCModule);
  const creatorRegistry = m.getParameter<string>("creatorRegistry");
  const withdrawalDelay = m.getParameter("withdrawalDelay", 86_400n);
  const admin = m.getParameter("admin", m.getAccount(0));
  const relayer = m.getParameter("relayer", m.getAccount(1));
  const coinFactory = m.getParameter<string>("coinFactory", "0x0000000000000000000000000000000000000000");
  const distributionPeriod = m.getParameter("distributionPeriod", 91n * 86_400n);
  const vault = m.contract("BeatStreamVault", [usdc, creatorRegistry, withdrawalDelay, admin, coinFactory, distributionPeriod]);
  m.call(vault, "grantRole", [m.staticCall(vault, "RELAYER_ROLE", [], 0, { id: "Vault_relayerRole" }), relayer], {
    id: "Vault_grantRelayer",
  });
  return { vault, usdc };
});

export default BeatStreamVaultModule;
