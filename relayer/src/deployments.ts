import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";
import { DeploymentsError } from "./errors.js";

const address = z.string().refine((value) => isAddress(value, { strict: false }), "not an address").transform((value) => getAddress(value));
const contract = z.object({ address, startBlock: z.number().int().nonnegative() });

/** The contracts the relayer reads or writes; the file may list more (the indexer uses the same file). */
export const RELAYER_CONTRACTS = [
  "MusicNFT",
  "CreatorCoinFactory",
  "MusicDEX",
  "RevenueDistributor",
  "BeatStreamVault",
  "MockUSDC",
] as const;

const deploymentsSchema = z.object({
  chainId: z.number().int().positive(),
  contracts: z
    .record(z.string(), contract)
    .refine((contracts) => "MusicNFT" in contracts && "CreatorCoinFactory" in contracts, {
      message: "contracts must include MusicNFT and CreatorCoinFactory",
    }),
  roles: z.record(z.string(), address).optional(),
});

export type DeployedContract = { address: Address; startBlock: number };
/**
 * Who the deploy granted each role to (admin, committer, reporter, settler, verifier; deploy/plan.ts). A record of
 * the deploy, not of the chain now: governance may have rotated a key since, which `relayer status` shows.
 */
export type DeployedRoles = Record<string, Address>;
export type Deployments = {
  chainId: number;
  contracts: Record<string, DeployedContract> & { MusicNFT: DeployedContract; CreatorCoinFactory: DeployedContract };
  roles?: DeployedRoles;
};

/** `deployments/<chainId>.json`: where the deploy step writes addresses and the relayer reads them. */
export function deploymentsPath(dir: string, chainId: number): string {
  return join(dir, `${chainId}.json`);
}

export type LoadDeploymentsParameters = { dir: string; chainId: number };
export type LoadDeploymentsReturnType = Deployments;

/** Reads and validates the deployments file of `chainId`; the only way the relayer learns addresses. */
export async function loadDeployments({ dir, chainId }: LoadDeploymentsParameters): Promise<LoadDeploymentsReturnType> {
  const path = deploymentsPath(dir, chainId);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new DeploymentsError(`cannot read ${path}: deploy the protocol first (it writes this file)`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeploymentsError(`${path} is not valid JSON`, error);
  }
  const result = deploymentsSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new DeploymentsError(`${path} is invalid: ${problems.join("; ")}`);
  }
  if (result.data.chainId !== chainId) {
    throw new DeploymentsError(`${path} is for chain ${result.data.chainId}, expected ${chainId}`);
  }
  const { MusicNFT, CreatorCoinFactory } = result.data.contracts;
  // The refine above guarantees both; the checks narrow the type without a cast.
  if (MusicNFT === undefined || CreatorCoinFactory === undefined) throw new DeploymentsError(`${path} is incomplete`);
  const { roles } = result.data;
  return { chainId, contracts: { ...result.data.contracts, MusicNFT, CreatorCoinFactory }, ...(roles === undefined ? {} : { roles }) };
}

export type WriteDeploymentsParameters = { dir: string; deployments: { chainId: number; contracts: Record<string, DeployedContract>; roles?: DeployedRoles } };

/** Writes the deployments file atomically (tmp + rename), so a reader never sees half a file. */
export async function writeDeployments({ dir, deployments }: WriteDeploymentsParameters): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = deploymentsPath(dir, deployments.chainId);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(deployments, null, 2)}\n`);
  await rename(tmp, path);
  return path;
}
