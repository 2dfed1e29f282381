import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys MusicNFT and grants RELAYER_ROLE to the relayer.
 *
 * Parameters:
 * - `admin`   (default: account 0) DEFAULT_ADMIN_ROLE holder (governance).
 * - `relayer` (default: account 1) gets RELAYER_ROLE.
 *
 * The grant is sent from account 0, so `admin` must be the deploying account; to hand governance to a
 * multisig, deploy with the default and let the multisig take DEFAULT_ADMIN_ROLE afterwards.
 */
export default buildModule("MusicNFT", (m) => {
  const admin = m.getParameter("admin", m.getAccount(0));
  const relayer = m.getParameter("relayer", m.getAccount(1));

  const musicNFT = m.contract("MusicNFT", [admin]);
  const relayerRole = m.staticCall(musicNFT, "RELAYER_ROLE");
  m.call(musicNFT, "grantRole", [relayerRole, relayer], { id: "grantRelayerRole" });

  return { musicNFT };
});
