import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * MusicDEX, the singleton market of every creator coin against USDC.
 *
 * Parameters (module id "MusicDEX"):
 * - `usdc`: the quote token (required; MockUSDC locally).
 * - `distributor`: the RevenueDistributor that receives holder fees (required).
 * - `treasury`: receives treasury fees (default: account 0).
 * - `admin`: DEFAULT_ADMIN_ROLE and PAUSER_ROLE (default: account 0).
 *
 * MARKET_OPENER_ROLE is granted by the protocol module once the factory exists
 * (`m.call(musicDEX, "grantRole", [MARKET_OPENER_ROLE, factory])`).
 */
export default buildModule("MusicDEX", (m) => {
  const usdc = m.getParameter<string>("usdc");
  const distributor = m.getParameter<string>("distributor");
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const admin = m.getParameter("admin", m.getAccount(0));

  const musicDEX = m.contract("MusicDEX", [usdc, distributor, treasury, admin]);

  return { musicDEX };
});
