import { type Abi, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import type { Config } from "../config.js";
import type { DeployedContract, Deployments } from "../deployments.js";
import { RelayerError } from "../errors.js";
import { accessControlAbi, creatorCoinFactoryAbi, musicDEXAbi, musicNFTAbi, revenueDistributorAbi, vaultAbi } from "./abis.js";

/**
 * The relayer's three jobs, each signed by its own key and allowed by its own role, so a leaked key can do one job
 * only: a committer key cannot pay out, a settler key cannot invent plays.
 */
export const RELAYER_JOBS = {
  committer: { contract: "MusicNFT", role: "RELAYER_ROLE", call: "commitPlays", setting: "COMMITTER_PRIVATE_KEY" },
  reporter: { contract: "CreatorCoinFactory", role: "RELAYER_ROLE", call: "updateCreatorMetrics", setting: "REPORTER_PRIVATE_KEY" },
  settler: { contract: "BeatStreamVault", role: "RELAYER_ROLE", call: "settle", setting: "SETTLER_PRIVATE_KEY" },
} as const;

export type RelayerJob = keyof typeof RELAYER_JOBS;
export const RELAYER_JOB_NAMES = Object.keys(RELAYER_JOBS) as RelayerJob[];

/** Each job's private key: its own variable, or RELAYER_PRIVATE_KEY when that is unset (one key: the local default). */
export function jobKeys(config: Pick<Config, "RELAYER_PRIVATE_KEY" | "COMMITTER_PRIVATE_KEY" | "REPORTER_PRIVATE_KEY" | "SETTLER_PRIVATE_KEY">): Record<RelayerJob, Hex> {
  return {
    committer: config.COMMITTER_PRIVATE_KEY ?? config.RELAYER_PRIVATE_KEY,
    reporter: config.REPORTER_PRIVATE_KEY ?? config.RELAYER_PRIVATE_KEY,
    settler: config.SETTLER_PRIVATE_KEY ?? config.RELAYER_PRIVATE_KEY,
  };
}

/** Each job's address, from its key. */
export function jobAddresses(config: Parameters<typeof jobKeys>[0]): Record<RelayerJob, Address> {
  const keys = jobKeys(config);
  return { committer: privateKeyToAddress(keys.committer), reporter: privateKeyToAddress(keys.reporter), settler: privateKeyToAddress(keys.settler) };
}

/** The protocol's access-controlled contracts, with the ABIs generated from the build (their role constants). */
export const ROLE_CONTRACTS = {
  MusicNFT: musicNFTAbi,
  RevenueDistributor: revenueDistributorAbi,
  MusicDEX: musicDEXAbi,
  CreatorCoinFactory: creatorCoinFactoryAbi,
  BeatStreamVault: vaultAbi,
} as const satisfies Record<string, Abi>;

/** The names of the role constants an ABI declares: views without inputs returning one bytes32, named *_ROLE. */
export function roleNamesOf(abi: Abi): string[] {
  return abi
    .flatMap((item) =>
      item.type === "function" &&
      item.name.endsWith("_ROLE") &&
      item.inputs.length === 0 &&
      item.outputs.length === 1 &&
      item.outputs[0]!.type === "bytes32" &&
      (item.stateMutability === "view" || item.stateMutability === "pure")
        ? [item.name]
        : [],
    )
    .sort();
}

type Client = Pick<PublicClient, "readContract" | "getContractEvents">;

export type JobRole = {
  job: RelayerJob;
  /** The address the configured key signs as. */
  account: Address;
  contract: (typeof RELAYER_JOBS)[RelayerJob]["contract"];
  role: string;
  /** Whether `account` holds the role now; undefined when the deployments file names no such contract. */
  holds: boolean | undefined;
};

export type ReadJobRolesParameters = { client: Client; deployments: Pick<Deployments, "contracts">; accounts: Record<RelayerJob, Address> };
export type ReadJobRolesReturnType = JobRole[];

/** For each job: its configured address and whether that address holds the job's role on-chain now. */
export async function readJobRoles({ client, deployments, accounts }: ReadJobRolesParameters): Promise<ReadJobRolesReturnType> {
  return Promise.all(
    RELAYER_JOB_NAMES.map(async (job): Promise<JobRole> => {
      const { contract, role } = RELAYER_JOBS[job];
      const deployed = deployments.contracts[contract];
      const account = accounts[job];
      if (deployed === undefined) return { job, account, contract, role, holds: undefined };
      const abi = ROLE_CONTRACTS[contract] as Abi;
      const value = (await client.readContract({ address: deployed.address, abi, functionName: role })) as Hex;
      const holds = await client.readContract({ address: deployed.address, abi: accessControlAbi, functionName: "hasRole", args: [value, account] });
      return { job, account, contract, role, holds };
    }),
  );
}

/** A configured key does not hold its job's role on-chain: the relayer refuses to start rather than fail every send. */
export class MissingRoleError extends RelayerError {
  readonly missing: JobRole[];
  constructor(missing: JobRole[]) {
    super(
      "missing_role",
      missing
        .map(({ job, account, contract, role }) => `${RELAYER_JOBS[job].setting} (${job}) signs as ${account}, which does not hold ${role} on ${contract}`)
        .join("; ") + ": grant the role from the admin account, or configure the key that holds it",
    );
    this.missing = missing;
  }
}

/** Throws `MissingRoleError` naming every job whose configured key lacks its role. */
export async function assertJobRoles(parameters: ReadJobRolesParameters): Promise<ReadJobRolesReturnType> {
  const roles = await readJobRoles(parameters);
  const missing = roles.filter((role) => role.holds === false);
  if (missing.length > 0) throw new MissingRoleError(missing);
  return roles;
}

export type ContractRoles = {
  contract: string;
  address: Address;
  /** Every declared role (and any undeclared role hash that has members), name → members in grant order. */
  roles: Record<string, Address[]>;
};

export type ReadRoleMembersParameters = { client: Client; contracts: Partial<Record<keyof typeof ROLE_CONTRACTS, DeployedContract>> };

/**
 * Who holds each role of each protocol contract, replayed from RoleGranted and RoleRevoked since the contract's start
 * block: AccessControl keeps no list of members. Roles are named by the contract's own constants.
 */
export async function readRoleMembers({ client, contracts }: ReadRoleMembersParameters): Promise<ContractRoles[]> {
  const present = (Object.keys(ROLE_CONTRACTS) as (keyof typeof ROLE_CONTRACTS)[]).flatMap((name) => {
    const deployed = contracts[name];
    return deployed === undefined ? [] : [{ name, deployed }];
  });
  return Promise.all(
    present.map(async ({ name, deployed }) => {
      const abi = ROLE_CONTRACTS[name] as Abi;
      const names = roleNamesOf(abi);
      const values = await Promise.all(names.map(async (role) => (await client.readContract({ address: deployed.address, abi, functionName: role })) as Hex));
      const nameOf = new Map(values.map((value, index) => [value.toLowerCase(), names[index]!]));
      const logs = await client.getContractEvents({ address: deployed.address, abi: accessControlAbi, fromBlock: BigInt(deployed.startBlock), toBlock: "latest" });
      const ordered = [...logs].sort((a, b) => Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n)) || (a.logIndex ?? 0) - (b.logIndex ?? 0));
      const members = new Map<string, Set<Address>>(names.map((role) => [role, new Set()]));
      for (const log of ordered) {
        const { role, account } = log.args;
        if (role === undefined || account === undefined) continue;
        const key = nameOf.get(role.toLowerCase()) ?? role;
        const set = members.get(key) ?? new Set<Address>();
        if (log.eventName === "RoleGranted") set.add(account);
        else set.delete(account);
        members.set(key, set);
      }
      return { contract: name, address: deployed.address, roles: Object.fromEntries([...members].map(([role, set]) => [role, [...set]])) };
    }),
  );
}
