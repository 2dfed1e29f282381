/**
 * The web app's `/config.json`: everything the app needs to know about a deployment (chain, endpoints, contract
 * addresses, the deploy's role holders), derived from `deployments/<chainId>.json` and the endpoints of whoever serves
 * it. The bundle holds no address or URL, so one build runs against any deployment. No dependencies: Vite's config
 * imports this file too (`npm run app:dev`).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CONTRACT_NAMES as APP_CONTRACTS, type AppConfig } from "../../app/src/config-shape.js";

export { CONTRACT_NAMES as APP_CONTRACTS, type AppConfig } from "../../app/src/config-shape.js";

export type AppConfigParameters = { deploymentsDir: string; chainId: number; rpcUrl: string; relayerUrl: string; indexerUrl: string };

const LOCAL_CHAIN_ID = 31337;

/** The config of the deployment in `deploymentsDir/<chainId>.json` served at these endpoints. */
export async function appConfig({ deploymentsDir, chainId, rpcUrl, relayerUrl, indexerUrl }: AppConfigParameters): Promise<AppConfig> {
  const file = join(deploymentsDir, `${chainId}.json`);
  let deployments: { chainId?: number; contracts?: Record<string, { address?: string }>; roles?: Record<string, string> };
  try {
    deployments = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${file} (${error instanceof Error ? error.message : String(error)}): deploy first, or set DEPLOYMENTS_DIR / APP_CHAIN_ID`);
  }
  if (deployments.chainId !== chainId) throw new Error(`${file} is for chain ${deployments.chainId}, not ${chainId}`);
  const address = (name: string): `0x${string}` | undefined => {
    const value = deployments.contracts?.[name]?.address;
    return typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value) ? (value as `0x${string}`) : undefined;
  };
  const contracts = {} as AppConfig["contracts"];
  for (const name of APP_CONTRACTS) {
    const value = address(name);
    if (value === undefined) throw new Error(`${file} names no ${name}`);
    contracts[name] = value;
  }
  const mock = address("MockUSDC");
  if (mock !== undefined) contracts.MockUSDC = mock;
  const roles = Object.fromEntries(Object.entries(deployments.roles ?? {}).filter(([, value]) => /^0x[0-9a-fA-F]{40}$/.test(value))) as Record<string, `0x${string}`>;
  const trim = (url: string) => url.replace(/\/+$/, "");
  return {
    chainId,
    chainName: chainId === LOCAL_CHAIN_ID ? "Local chain (Hardhat)" : `Chain ${chainId}`,
    rpcUrl: trim(rpcUrl),
    relayerUrl: trim(relayerUrl),
    indexerUrl: trim(indexerUrl),
    contracts,
    roles,
    devWallet: chainId === LOCAL_CHAIN_ID,
  };
}

export type AppConfigFromStackParameters = { root: string; env: Record<string, string | undefined> };

/**
 * The config of the stack running now: endpoints from STACK_DATA_DIR/stack.json (`npm start` writes it), or from
 * APP_CHAIN_ID, APP_RPC_URL, APP_RELAYER_URL and APP_INDEXER_URL to point the app at another deployment (with
 * DEPLOYMENTS_DIR holding its `<chainId>.json`).
 */
export async function appConfigFromStack({ root, env }: AppConfigFromStackParameters): Promise<AppConfig> {
  const deploymentsDir = resolve(root, env.DEPLOYMENTS_DIR || "deployments");
  let stack: { chainId?: number; rpcUrl?: string; relayerUrl?: string; indexerUrl?: string } = {};
  try {
    stack = JSON.parse(await readFile(join(resolve(root, env.STACK_DATA_DIR || ".data"), "stack.json"), "utf8"));
  } catch {
    // No local stack running: the APP_* variables must say where the deployment is.
  }
  const pick = (name: string, fromStack: string | number | undefined) => {
    const value = env[name] || (fromStack === undefined ? undefined : String(fromStack));
    if (value === undefined) throw new Error(`no stack is running (npm start) and ${name} is unset`);
    return value;
  };
  return appConfig({
    deploymentsDir,
    chainId: Number(pick("APP_CHAIN_ID", stack.chainId)),
    rpcUrl: pick("APP_RPC_URL", stack.rpcUrl),
    relayerUrl: pick("APP_RELAYER_URL", stack.relayerUrl),
    indexerUrl: pick("APP_INDEXER_URL", stack.indexerUrl),
  });
}
