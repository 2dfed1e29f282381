import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildProtocol } from "./Protocol.js";

/**
 * The protocol on an existing USDC (parameter `usdc`, e.g. Circle's USDC on Base Sepolia), with the same
 * module id and parameters as Protocol.ts, so one parameters file serves both; `npm run deploy` picks this
 * module when the network's parameters name a `usdc`. The token must have 6 decimals and EIP-2612 permit
 * (the vault's depositWithPermit); MockUSDC's artifact only lends the ERC-20 ABI here.
 */
export default buildModule("BeatStreamProtocol", (m) =>
  buildProtocol(m, m.contractAt("MockUSDC", m.getParameter<string>("usdc"), { id: "USDC" })),
);

/** The same, with governance handed to `admin` and nothing left with the deployer (deploy/plan.ts picks it). */
export const ProtocolExternalUsdcHandOverModule = buildModule("BeatStreamProtocol", (m) =>
  buildProtocol(m, m.contractAt("MockUSDC", m.getParameter<string>("usdc"), { id: "USDC" }), { handOver: true }),
);
