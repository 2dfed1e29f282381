/**
 * The deployment the app runs against, fetched once from `/config.json` (written by whoever serves the app from
 * deployments/<chainId>.json: `npm start`, `npm run app:dev`, `npm run app:serve`; docs/app.md). The bundle itself
 * names no address and no URL.
 */
import { createContext, useContext } from "react";
import { isAddress } from "viem";
import { CONTRACT_NAMES, type AppConfig } from "./config-shape.ts";

export { CONTRACT_NAMES, type AppConfig, type ContractName } from "./config-shape.ts";

/** A config.json the app cannot run with. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Fetches and checks /config.json. */
export async function loadConfig(url = "/config.json"): Promise<AppConfig> {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new ConfigError(`${url} answered ${response.status}: is the stack running (npm start)?`);
  const body = (await response.json()) as Partial<AppConfig>;
  const problems: string[] = [];
  if (!Number.isSafeInteger(body.chainId) || (body.chainId ?? 0) <= 0) problems.push("chainId");
  for (const key of ["rpcUrl", "relayerUrl", "indexerUrl"] as const) if (typeof body[key] !== "string" || !/^https?:\/\//.test(body[key])) problems.push(key);
  for (const name of CONTRACT_NAMES) if (!isAddress(String(body.contracts?.[name] ?? ""), { strict: false })) problems.push(`contracts.${name}`);
  if (problems.length > 0) throw new ConfigError(`${url} lacks or has invalid: ${problems.join(", ")}`);
  const config = body as AppConfig;
  // A dev wallet on a real chain would be a wallet anyone can drain: only ever on the local chain.
  return { ...config, roles: config.roles ?? {}, chainName: config.chainName ?? `Chain ${config.chainId}`, devWallet: config.devWallet === true && config.chainId === 31337 };
}

export const ConfigContext = createContext<AppConfig | undefined>(undefined);

export function useAppConfig(): AppConfig {
  const config = useContext(ConfigContext);
  if (config === undefined) throw new Error("useAppConfig outside <ConfigContext.Provider>");
  return config;
}
