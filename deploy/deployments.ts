import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** One contract in `deployments/<chainId>.json`: where it is and the first block worth indexing. */
export interface DeployedContract {
  address: string;
  startBlock: number;
}

/** `deployments/<chainId>.json`: the only way the relayer and the indexer learn addresses. */
export interface Deployments {
  chainId: number;
  contracts: Record<string, DeployedContract>;
}

export const DEFAULT_DEPLOYMENTS_DIR = "deployments";

export function deploymentsPath(chainId: number, dir = DEFAULT_DEPLOYMENTS_DIR): string {
  return path.join(dir, `${chainId}.json`);
}

/** Writes the file atomically (tmp + rename), so a reader never sees half of it. */
export async function writeDeployments(deployments: Deployments, dir = DEFAULT_DEPLOYMENTS_DIR): Promise<string> {
  const file = deploymentsPath(deployments.chainId, dir);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(deployments, null, 2) + "\n");
  await rename(tmp, file);
  return file;
}

export async function readDeployments(chainId: number, dir = DEFAULT_DEPLOYMENTS_DIR): Promise<Deployments> {
  const file = deploymentsPath(chainId, dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`${file} not found: deploy the protocol first (npm run deploy -- --network <name>)`);
  }
  const parsed = JSON.parse(text) as Deployments;
  if (parsed.chainId !== chainId) throw new Error(`${file} is for chain ${parsed.chainId}, not ${chainId}`);
  return parsed;
}
