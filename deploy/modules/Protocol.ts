import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder, NamedArtifactContractAtFuture, NamedArtifactContractDeploymentFuture } from "@nomicfoundation/ignition-core";

/** The USDC every contract is built on: MockUSDC deployed here, or an existing token (ProtocolExternalUsdc.ts). */
export type UsdcFuture = NamedArtifactContractDeploymentFuture<"MockUSDC"> | NamedArtifactContractAtFuture<"MockUSDC">;

export type BuildProtocolOptions = {
  /**
   * Hand governance to the `admin` parameter: it receives DEFAULT_ADMIN_ROLE on every contract and the PAUSER_ROLEs,
   * then the deployer renounces both, so it holds nothing once the module has run. Without it the deployer is the
   * admin (local chains, tests) and `admin` is not read. deploy/plan.ts picks this when admin is not the deployer.
   */
  handOver?: boolean;
};

/** DEFAULT_ADMIN_ROLE is bytes32(0) in OpenZeppelin's AccessControl. */
const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}`;

/**
 * The whole protocol with every role and link wired: MusicNFT, the creator economy (distributor,
 * DEX, factory with its coin implementation) and the streaming vault, all on one USDC.
 *
 * Each operator job has its own key, so one leaked key cannot both invent plays and pay them out. Parameters (module
 * "BeatStreamProtocol", per network in deploy/parameters/; `npm run deploy` fills every default through
 * deploy/plan.ts, where `relayer` stands for all three jobs):
 * - `committer`: MusicNFT RELAYER_ROLE (`commitPlays`), default account 1;
 * - `reporter`: CreatorCoinFactory RELAYER_ROLE (`updateCreatorMetrics`: creator metrics and milestones), default
 *   account 1;
 * - `settler`: BeatStreamVault RELAYER_ROLE (`settle`), default account 1;
 * - `verifier`: factory VERIFIER_ROLE (badges), `treasury`: protocol fees, both default the deployer;
 * - `admin` (with `handOver` only): governance, DEFAULT_ADMIN_ROLE everywhere and the DEX's and the vault's
 *   PAUSER_ROLE;
 * - `withdrawalDelay` (vault, seconds, default 1 day), `distributionPeriod` (vault, seconds between two distributions of
 *   a creator's holder share, default 91 days: quarterly; local networks shorten it), `launchThreshold` (committed plays a creator needs to launch a
 *   coin, default 50,000, the contract's own default; local networks lower it so a simulation launches coins in
 *   minutes).
 */
export function buildProtocol(m: IgnitionModuleBuilder, usdc: UsdcFuture, { handOver = false }: BuildProtocolOptions = {}) {
  // Every contract's first admin is the deployer: it must hold DEFAULT_ADMIN_ROLE to grant the roles below.
  const admin = m.getAccount(0);
  const committer = m.getParameter("committer", m.getAccount(1));
  const reporter = m.getParameter("reporter", m.getAccount(1));
  const settler = m.getParameter("settler", m.getAccount(1));
  const verifier = m.getParameter("verifier", admin);
  const treasury = m.getParameter("treasury", admin);
  const withdrawalDelay = m.getParameter("withdrawalDelay", 86_400n);
  const distributionPeriod = m.getParameter("distributionPeriod", 91n * 86_400n);
  const launchThreshold = m.getParameter("launchThreshold", 50_000n);

  const musicNFT = m.contract("MusicNFT", [admin]);
  const distributor = m.contract("RevenueDistributor", [usdc, admin]);
  const dex = m.contract("MusicDEX", [usdc, distributor, treasury, admin]);
  const factory = m.contract("CreatorCoinFactory", [musicNFT, dex, distributor, admin]);
  // The vault pays holder shares into the factory's coins through the factory's distributor.
  const vault = m.contract("BeatStreamVault", [usdc, musicNFT, withdrawalDelay, admin, factory, distributionPeriod]);

  type Contract = typeof musicNFT | typeof factory | typeof distributor | typeof dex | typeof vault;
  type Grantee = typeof committer | typeof factory;
  const roleOf = (contract: Contract, role: string, id: string) => m.staticCall(contract, role, [], 0, { id: `${id}_role` });
  const grant = (contract: Contract, role: string, account: Grantee, id: string) => m.call(contract, "grantRole", [roleOf(contract, role, id), account], { id });

  const wiring = [
    grant(musicNFT, "RELAYER_ROLE", committer, "MusicNFT_grantRelayer"),
    grant(factory, "RELAYER_ROLE", reporter, "Factory_grantRelayer"),
    grant(factory, "VERIFIER_ROLE", verifier, "Factory_grantVerifier"),
    grant(distributor, "REGISTRAR_ROLE", factory, "Distributor_grantFactory"),
    grant(dex, "MARKET_OPENER_ROLE", factory, "DEX_grantFactory"),
    grant(vault, "RELAYER_ROLE", settler, "Vault_grantRelayer"),
    // Setting the contract's own default again is harmless; Ignition's journal makes it happen once per chain.
    m.call(factory, "setLaunchThreshold", [launchThreshold], { id: "Factory_setLaunchThreshold" }),
  ];

  if (handOver) {
    const governance = m.getParameter<string>("admin");
    const named = { MusicNFT: musicNFT, Distributor: distributor, DEX: dex, Factory: factory, Vault: vault } as const;
    const roles = (name: string, contract: Contract) => [
      { role: DEFAULT_ADMIN_ROLE, id: `${name}_grantAdmin` },
      // Only the DEX and the vault are pausable; governance takes their PAUSER_ROLE too.
      ...(contract === dex || contract === vault ? [{ role: roleOf(contract, "PAUSER_ROLE", `${name}_grantPauser`), id: `${name}_grantPauser` }] : []),
    ];
    const grants = Object.entries(named).flatMap(([name, contract]) =>
      roles(name, contract).map(({ role, id }) => ({ contract, role, id, call: m.call(contract, "grantRole", [role, governance], { id }) })),
    );
    // The deployer lets go only once every role is wired and governance holds its own (its admin role is what every
    // grant needs). Each renounce confirms with the sender of the matching RoleGranted event: when governance already
    // held the role (the `admin` parameter is the deployer) there is no such event, and Ignition stops before anything
    // is renounced.
    const after = [...wiring, ...grants.map(({ call }) => call)];
    for (const { contract, role, id, call } of grants) {
      const sender = m.readEventArgument(call, "RoleGranted", "sender", { id: `${id}_sender` });
      m.call(contract, "renounceRole", [role, sender], { id: id.replace("_grant", "_renounce"), after });
    }
  }

  return { usdc, musicNFT, distributor, dex, factory, vault };
}

/** Local chains and testnets without a USDC: MockUSDC (6 decimals, open mint) is deployed as the USDC. */
export default buildModule("BeatStreamProtocol", (m) => buildProtocol(m, m.contract("MockUSDC")));

/** The same, with governance handed to `admin` and nothing left with the deployer (deploy/plan.ts picks it). */
export const ProtocolHandOverModule = buildModule("BeatStreamProtocol", (m) => buildProtocol(m, m.contract("MockUSDC"), { handOver: true }));
