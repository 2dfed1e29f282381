import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder, NamedArtifactContractAtFuture, NamedArtifactContractDeploymentFuture } from "@nomicfoundation/ignition-core";

/** The USDC every contract is built on: MockUSDC deployed here, or an existing token (ProtocolExternalUsdc.ts). */
export type UsdcFuture = NamedArtifactContractDeploymentFuture<"MockUSDC"> | NamedArtifactContractAtFuture<"MockUSDC">;

/**
 * The whole protocol with every role and link wired: MusicNFT, the creator economy (distributor,
 * DEX, factory with its coin implementation) and the streaming vault, all on one USDC.
 *
 * The deploying account is the admin (it must be, to wire the roles); hand DEFAULT_ADMIN_ROLE to
 * governance afterwards. Parameters (module "BeatStreamProtocol", per network in deploy/parameters/):
 * `relayer` (commits plays and creator metrics, settles vault vouchers, default account 1), `verifier`
 * (sets badges, default admin), `treasury` (protocol fees, default admin), `withdrawalDelay` (vault,
 * seconds, default 1 day), `launchThreshold` (committed plays a creator needs to launch a coin, default
 * 50,000, the contract's own default; local networks lower it so a simulation launches coins in minutes).
 */
export function buildProtocol(m: IgnitionModuleBuilder, usdc: UsdcFuture) {
  const admin = m.getAccount(0);
  const relayer = m.getParameter("relayer", m.getAccount(1));
  const verifier = m.getParameter("verifier", m.getAccount(0));
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const withdrawalDelay = m.getParameter("withdrawalDelay", 86_400n);
  const launchThreshold = m.getParameter("launchThreshold", 50_000n);

  const musicNFT = m.contract("MusicNFT", [admin]);
  const distributor = m.contract("RevenueDistributor", [usdc, admin]);
  const dex = m.contract("MusicDEX", [usdc, distributor, treasury, admin]);
  const factory = m.contract("CreatorCoinFactory", [musicNFT, dex, distributor, admin]);
  const vault = m.contract("BeatStreamVault", [usdc, musicNFT, withdrawalDelay, admin]);

  type Grantee = typeof relayer | typeof factory;
  const grant = (
    contract: typeof musicNFT | typeof factory | typeof distributor | typeof dex | typeof vault,
    role: string,
    account: Grantee,
    id: string,
  ) =>
    m.call(contract, "grantRole", [m.staticCall(contract, role, [], 0, { id: `${id}_role` }), account], { id });

  grant(musicNFT, "RELAYER_ROLE", relayer, "MusicNFT_grantRelayer");
  grant(factory, "RELAYER_ROLE", relayer, "Factory_grantRelayer");
  grant(factory, "VERIFIER_ROLE", verifier, "Factory_grantVerifier");
  grant(distributor, "REGISTRAR_ROLE", factory, "Distributor_grantFactory");
  grant(dex, "MARKET_OPENER_ROLE", factory, "DEX_grantFactory");
  grant(vault, "RELAYER_ROLE", relayer, "Vault_grantRelayer");
  // Setting the contract's own default again is harmless; Ignition's journal makes it happen once per chain.
  m.call(factory, "setLaunchThreshold", [launchThreshold], { id: "Factory_setLaunchThreshold" });

  return { usdc, musicNFT, distributor, dex, factory, vault };
}

/** Local chains and testnets without a USDC: MockUSDC (6 decimals, open mint) is deployed as the USDC. */
export default buildModule("BeatStreamProtocol", (m) => buildProtocol(m, m.contract("MockUSDC")));
