/**
 * Which protocol module to deploy with which accounts: every default of the role parameters applied in one place,
 * so the deploy script, the deployments file and the tests agree on who holds what. Ignition cannot default one
 * parameter to another, nor branch on a parameter's value; both happen here, before Ignition runs.
 */
import { getAddress, isAddress, type Address } from "viem";
import { DeployParametersError, type DeployParameters } from "./load-parameters.js";
import ProtocolModule, { ProtocolHandOverModule } from "./modules/Protocol.js";
import ProtocolExternalUsdcModule, { ProtocolExternalUsdcHandOverModule } from "./modules/ProtocolExternalUsdc.js";

/** Who holds each role once the protocol module has run (`treasury` holds no role: it receives the DEX's fees). */
export type ProtocolAccounts = {
  /** Governance: DEFAULT_ADMIN_ROLE on every contract, PAUSER_ROLE on MusicDEX and BeatStreamVault. */
  admin: Address;
  /** MusicNFT RELAYER_ROLE: commitPlays. */
  committer: Address;
  /** CreatorCoinFactory RELAYER_ROLE: updateCreatorMetrics (creator metrics and milestones). */
  reporter: Address;
  /** BeatStreamVault RELAYER_ROLE: settle. */
  settler: Address;
  /** CreatorCoinFactory VERIFIER_ROLE: creator badges. */
  verifier: Address;
  treasury: Address;
};

export type PlanProtocolDeployParameters = {
  /** The parameters as loaded (deploy/load-parameters.ts); only the protocol module's own are read. */
  parameters: DeployParameters;
  /** The network's accounts: #0 deploys, #1 is the default key of all three relayer jobs. */
  accounts: readonly string[];
};

export type PlanProtocolDeployReturnType = {
  module: typeof ProtocolModule;
  /** `parameters` with every account of the protocol module explicit (`relayer` expanded into the three jobs). */
  parameters: DeployParameters;
  deployer: Address;
  accounts: ProtocolAccounts;
  /** Governance goes to an admin that is not the deployer: the deployer renounces everything it held. */
  handOver: boolean;
  /** The parameters name an existing `usdc`: no MockUSDC is deployed. */
  externalUsdc: boolean;
};

const ROLE_PARAMETERS = ["admin", "relayer", "committer", "reporter", "settler", "verifier", "treasury"] as const;

/**
 * Resolves the accounts: `admin` defaults to the deployer; `relayer` (default account #1) stands for `committer`,
 * `reporter` and `settler` where they are not given; `verifier` and `treasury` default to the admin. One key for the
 * three jobs is the local default; a public network names three.
 */
export function planProtocolDeploy({ parameters, accounts }: PlanProtocolDeployParameters): PlanProtocolDeployReturnType {
  const id = ProtocolModule.id;
  const own = parameters[id] ?? {};
  if (accounts[0] === undefined) throw new DeployParametersError("the network has no account to deploy from");
  const deployer = getAddress(accounts[0]);
  const address = (name: (typeof ROLE_PARAMETERS)[number], fallback: string | undefined): Address => {
    const value = own[name] ?? fallback;
    if (value === undefined) throw new DeployParametersError(`${id}.${name}: no address given and the network has no account #1 to default to`);
    if (typeof value !== "string" || !isAddress(value, { strict: false })) throw new DeployParametersError(`${id}.${name}: ${String(value)} is not an address`);
    return getAddress(value);
  };
  const admin = address("admin", deployer);
  const relayer = own.relayer === undefined ? accounts[1] : address("relayer", undefined);
  const resolved: ProtocolAccounts = {
    admin,
    committer: address("committer", relayer),
    reporter: address("reporter", relayer),
    settler: address("settler", relayer),
    verifier: address("verifier", admin),
    treasury: address("treasury", admin),
  };
  const handOver = admin !== deployer;
  const externalUsdc = own.usdc !== undefined;
  const module = externalUsdc
    ? handOver
      ? ProtocolExternalUsdcHandOverModule
      : ProtocolExternalUsdcModule
    : handOver
      ? ProtocolHandOverModule
      : ProtocolModule;
  const rest = Object.fromEntries(Object.entries(own).filter(([name]) => !(ROLE_PARAMETERS as readonly string[]).includes(name)));
  return {
    module,
    // Without a hand-over `admin` is the deployer, which the module uses without reading the parameter.
    parameters: { ...parameters, [id]: { ...rest, ...resolved } },
    deployer,
    accounts: resolved,
    handOver,
    externalUsdc,
  };
}
