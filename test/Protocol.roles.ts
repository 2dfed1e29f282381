import { expect } from "chai";
import type { BaseContract, EventLog } from "ethers";
import { ethers as E } from "ethers";
import { network } from "hardhat";
import type { DeployParameters } from "../deploy/load-parameters.js";
import { packDeltas } from "./helpers/nft/deltas.js";
import { deployProtocol } from "./helpers/protocol.js";
import { ProtocolHandOverModule } from "../deploy/modules/Protocol.js";

const connection = await network.create();
const { ethers, ignition, networkHelpers } = connection;
const { loadFixture } = networkHelpers;

const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const DEFAULT_ADMIN_ROLE = E.ZeroHash;

type RoleContract = BaseContract & { hasRole(role: string, account: string): Promise<boolean> };

/**
 * Every role constant a contract declares, from its ABI: each view without inputs that returns one bytes32 and whose
 * name ends in _ROLE (DEFAULT_ADMIN_ROLE included), by name → value.
 */
async function declaredRoles(contract: BaseContract): Promise<Map<string, string>> {
  const names: string[] = [];
  contract.interface.forEachFunction((fn) => {
    const constant = fn.inputs.length === 0 && fn.outputs.length === 1 && fn.outputs[0]!.type === "bytes32";
    if (constant && (fn.stateMutability === "view" || fn.stateMutability === "pure") && fn.name.endsWith("_ROLE")) names.push(fn.name);
  });
  const roles = new Map<string, string>();
  for (const name of names.sort()) roles.set(name, await contract.getFunction(name).staticCall());
  return roles;
}

/**
 * The members of every role, replayed from RoleGranted and RoleRevoked in chain order (AccessControl keeps no list).
 * Keyed by the role's name where the contract declares it, else by its hash, so an undeclared role shows up too.
 */
async function roleMembers(contract: BaseContract, declared: Map<string, string>): Promise<Record<string, string[]>> {
  const logs = [
    ...(await contract.queryFilter(contract.filters.RoleGranted!(), 0, "latest")),
    ...(await contract.queryFilter(contract.filters.RoleRevoked!(), 0, "latest")),
  ] as EventLog[];
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const nameOf = new Map([...declared].map(([name, value]) => [value, name]));
  const members = new Map<string, Set<string>>();
  for (const log of logs) {
    const [role, account] = log.args as unknown as [string, string];
    const key = nameOf.get(role) ?? role;
    const set = members.get(key) ?? new Set<string>();
    if (log.eventName === "RoleGranted") set.add(account);
    else set.delete(account);
    members.set(key, set);
  }
  return Object.fromEntries([...members].filter(([, set]) => set.size > 0).map(([key, set]) => [key, [...set].sort()]));
}

type Holders = { admin: string; committer: string; reporter: string; settler: string; verifier: string; factory: string };

/** The intended wiring: every role of every contract and exactly who holds it. */
function intendedRoles({ admin, committer, reporter, settler, verifier, factory }: Holders): Record<string, Record<string, string[]>> {
  return {
    MusicNFT: { DEFAULT_ADMIN_ROLE: [admin], RELAYER_ROLE: [committer] },
    RevenueDistributor: { DEFAULT_ADMIN_ROLE: [admin], REGISTRAR_ROLE: [factory] },
    MusicDEX: { DEFAULT_ADMIN_ROLE: [admin], MARKET_OPENER_ROLE: [factory], PAUSER_ROLE: [admin] },
    CreatorCoinFactory: { DEFAULT_ADMIN_ROLE: [admin], RELAYER_ROLE: [reporter], VERIFIER_ROLE: [verifier] },
    BeatStreamVault: { DEFAULT_ADMIN_ROLE: [admin], PAUSER_ROLE: [admin], RELAYER_ROLE: [settler] },
  };
}

/** The local defaults: account #0 deploys and governs, account #1 holds all three relayer jobs. */
async function withDefaults() {
  const deployed = await deployProtocol(connection);
  const [deployer, relayer, creator] = await ethers.getSigners();
  return { ...deployed, deployer: deployer!, creator: creator!, keys: { committer: relayer!, reporter: relayer!, settler: relayer! }, admin: deployer!, verifier: deployer!, treasury: deployer! };
}

/** One account per job, and governance handed to an admin that is not the deployer. */
async function withDistinctAccounts() {
  const [deployer, , creator, committer, reporter, settler, verifier, treasury, admin] = await ethers.getSigners();
  const parameters: DeployParameters = {
    BeatStreamProtocol: {
      committer: committer!.address,
      reporter: reporter!.address,
      settler: settler!.address,
      verifier: verifier!.address,
      treasury: treasury!.address,
      admin: admin!.address,
    },
  };
  const deployed = await deployProtocol(connection, parameters);
  return { ...deployed, deployer: deployer!, creator: creator!, keys: { committer: committer!, reporter: reporter!, settler: settler! }, admin: admin!, verifier: verifier!, treasury: treasury! };
}

type Deployed = Awaited<ReturnType<typeof withDefaults>>;

async function actualRoles(deployed: Deployed) {
  const contracts: Record<string, RoleContract> = {
    MusicNFT: deployed.musicNFT,
    RevenueDistributor: deployed.distributor,
    MusicDEX: deployed.dex,
    CreatorCoinFactory: deployed.factory,
    BeatStreamVault: deployed.vault,
  };
  const declared: Record<string, string[]> = {};
  const members: Record<string, Record<string, string[]>> = {};
  for (const [name, contract] of Object.entries(contracts)) {
    const roles = await declaredRoles(contract);
    declared[name] = [...roles.keys()];
    members[name] = await roleMembers(contract, roles);
    // The replay agrees with the contract's own answer for every member found.
    for (const [role, accounts] of Object.entries(members[name]!)) {
      for (const account of accounts) expect(await contract.hasRole(roles.get(role) ?? role, account), `${name}.${role} ${account}`).to.equal(true);
    }
  }
  return { declared, members };
}

describe("Protocol roles (deploy/modules/Protocol.ts through deploy/plan.ts): exactly the intended holders", () => {
  for (const [label, fixture] of [
    ["defaults: one relayer key, the deployer governs", withDefaults],
    ["one account per job, governance handed to an admin that is not the deployer", withDistinctAccounts],
  ] as const) {
    describe(label, () => {
      it("every role every contract declares is held by exactly the intended accounts, and no other role exists", async () => {
        const deployed = await loadFixture(fixture);
        const { committer, reporter, settler } = deployed.keys;
        const intended = intendedRoles({
          admin: deployed.admin.address,
          committer: committer.address,
          reporter: reporter.address,
          settler: settler.address,
          verifier: deployed.verifier.address,
          factory: await deployed.factory.getAddress(),
        });
        const sorted = (table: Record<string, Record<string, string[]>>) =>
          Object.fromEntries(Object.entries(table).map(([name, roles]) => [name, Object.fromEntries(Object.entries(roles).map(([role, accounts]) => [role, [...new Set(accounts)].sort()]))]));
        const { declared, members } = await actualRoles(deployed);
        // Every declared role is in the table (none unassigned), and the table names no role the contract lacks.
        for (const [name, roles] of Object.entries(intended)) expect(declared[name], name).to.have.members(Object.keys(roles));
        expect(members).to.deep.equal(sorted(intended));
        expect(deployed.plan.accounts).to.deep.include({ admin: deployed.admin.address, committer: committer.address, reporter: reporter.address, settler: settler.address });
      });

      it("the treasury is the intended one; the deployer keeps governance (and the verifier role) only when it is the admin", async () => {
        const deployed = await loadFixture(fixture);
        expect(await deployed.dex.treasury()).to.equal(deployed.treasury.address);
        const { members } = await actualRoles(deployed);
        const held = Object.entries(members).flatMap(([name, roles]) =>
          Object.entries(roles).flatMap(([role, accounts]) => (accounts.includes(deployed.deployer.address) ? [`${name}.${role}`] : [])),
        );
        if (deployed.plan.handOver) expect(held).to.deep.equal([]);
        else expect(held).to.have.members(["MusicNFT.DEFAULT_ADMIN_ROLE", "RevenueDistributor.DEFAULT_ADMIN_ROLE", "MusicDEX.DEFAULT_ADMIN_ROLE", "MusicDEX.PAUSER_ROLE", "CreatorCoinFactory.DEFAULT_ADMIN_ROLE", "CreatorCoinFactory.VERIFIER_ROLE", "BeatStreamVault.DEFAULT_ADMIN_ROLE", "BeatStreamVault.PAUSER_ROLE"]);
      });
    });
  }

  it("the hand-over module stops before renouncing anything when admin is the deployer (nobody would govern)", async () => {
    const [deployer] = await ethers.getSigners();
    const from = (await ethers.provider.getBlockNumber()) + 1;
    const failed = await ignition.deploy(ProtocolHandOverModule, { parameters: { BeatStreamProtocol: { admin: deployer!.address } } }).then(
      () => false,
      () => true,
    );
    expect(failed).to.equal(true);
    const logs = (signature: string) => ethers.provider.getLogs({ fromBlock: from, toBlock: "latest", topics: [E.id(signature)] });
    // It got as far as wiring the roles, and not one was given up.
    expect(await logs("RoleGranted(bytes32,address,address)")).to.have.length.greaterThan(0);
    expect(await logs("RoleRevoked(bytes32,address,address)")).to.deep.equal([]);
  });

  describe("one key per job", () => {
    /** The distinct-accounts protocol with track 1 minted by the creator. */
    async function withTrack() {
      const deployed = await withDistinctAccounts();
      await deployed.musicNFT.connect(deployed.creator).mintTrack(`ipfs://${CID}`, deployed.creator.address, 500);
      return deployed;
    }

    it("each job key does its own job and nothing else (AccessControlUnauthorizedAccount)", async () => {
      const { musicNFT, factory, vault, keys, creator } = await loadFixture(withTrack);
      const [nftRelayer, factoryRelayer, vaultRelayer] = [await musicNFT.RELAYER_ROLE(), await factory.RELAYER_ROLE(), await vault.RELAYER_ROLE()];
      const commit = (who: typeof keys.committer) => musicNFT.connect(who).commitPlays(1n, E.id("root"), CID, packDeltas([{ trackId: 1n, delta: 3n }]));
      const report = (who: typeof keys.committer) => factory.connect(who).updateCreatorMetrics(creator.address, 3n, 0n, 0n, CID);
      const settle = (who: typeof keys.committer) => vault.connect(who).settle([], "0x");

      for (const other of [keys.reporter, keys.settler]) {
        await expect(commit(other)).to.be.revertedWithCustomError(musicNFT, "AccessControlUnauthorizedAccount").withArgs(other.address, nftRelayer);
      }
      for (const other of [keys.committer, keys.settler]) {
        await expect(report(other)).to.be.revertedWithCustomError(factory, "AccessControlUnauthorizedAccount").withArgs(other.address, factoryRelayer);
      }
      for (const other of [keys.committer, keys.reporter]) {
        await expect(settle(other)).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount").withArgs(other.address, vaultRelayer);
      }
      await expect(commit(keys.committer)).to.emit(musicNFT, "PlaysCommitted");
      await expect(report(keys.reporter)).to.emit(factory, "CreatorMetricsUpdated");
      await expect(settle(keys.settler)).to.not.revert(ethers);
    });

    it("after the hand-over only the admin governs: the deployer can neither grant nor pause", async () => {
      const { musicNFT, dex, vault, deployer, admin, keys } = await loadFixture(withTrack);
      await expect(musicNFT.connect(deployer).grantRole(await musicNFT.RELAYER_ROLE(), deployer.address))
        .to.be.revertedWithCustomError(musicNFT, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, DEFAULT_ADMIN_ROLE);
      await expect(dex.connect(deployer).pause()).to.be.revertedWithCustomError(dex, "AccessControlUnauthorizedAccount").withArgs(deployer.address, await dex.PAUSER_ROLE());
      await expect(vault.connect(admin).pause()).to.emit(vault, "Paused");
      // Rotating a job key is the admin's: grant the new one, revoke the old one.
      await expect(musicNFT.connect(admin).revokeRole(await musicNFT.RELAYER_ROLE(), keys.committer.address)).to.emit(musicNFT, "RoleRevoked");
    });
  });
});
