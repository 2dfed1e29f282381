/**
 * wagmi for the deployment in config.json: the chain it names, an injected EIP-1193 wallet (MetaMask and friends),
 * and on the local chain only a "dev wallet": wagmi's mock connector on one of the Hardhat node's funded test
 * accounts. The node holds those accounts' keys and signs for them itself (eth_sendTransaction,
 * eth_signTypedData_v4), so no private key ever reaches the page.
 */
import { defineChain, type Address, type Chain } from "viem";
import { createConfig, http, injected, mock, type Config } from "wagmi";
import type { AppConfig } from "./config.ts";

const DEV_ACCOUNT_KEY = "beatstream.devAccount";
/**
 * Account #15 by default: the simulator (npm run simulate) uses #0–#13, so a newcomer's dev wallet does not trade
 * against its own simulated fans.
 */
export const DEFAULT_DEV_ACCOUNT_INDEX = 15;

export function chainOf(app: AppConfig): Chain {
  return defineChain({
    id: app.chainId,
    name: app.chainName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [app.rpcUrl] } },
    testnet: app.devWallet,
  });
}

/** The node's unlocked accounts (eth_accounts): Hardhat's well-known test accounts, public, local only. */
export async function devAccounts(app: AppConfig): Promise<Address[]> {
  if (!app.devWallet) return [];
  try {
    const response = await fetch(app.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_accounts", params: [] }) });
    const body = (await response.json()) as { result?: Address[] };
    return body.result ?? [];
  } catch {
    return [];
  }
}

/** The dev account chosen on this browser (index into the node's accounts). */
export function selectedDevAccountIndex(): number {
  const stored = Number(localStorage.getItem(DEV_ACCOUNT_KEY));
  return Number.isInteger(stored) && stored >= 0 && localStorage.getItem(DEV_ACCOUNT_KEY) !== null ? stored : DEFAULT_DEV_ACCOUNT_INDEX;
}

/** Picks another dev account; the page reloads so every connector and query starts on it. */
export function selectDevAccount(index: number): void {
  localStorage.setItem(DEV_ACCOUNT_KEY, String(index));
  location.reload();
}

export const DEV_CONNECTOR_ID = "mock";

export function createWagmiConfig(app: AppConfig, devAccount: Address | undefined): Config {
  const chain = chainOf(app);
  return createConfig({
    chains: [chain],
    connectors: [injected({ shimDisconnect: true }), ...(devAccount === undefined ? [] : [mock({ accounts: [devAccount], features: { reconnect: true } })])],
    transports: { [chain.id]: http(app.rpcUrl, { batch: { wait: 10 } }) },
    // The local chain mines every second: poll often so pending → confirmed shows at once.
    pollingInterval: app.devWallet ? 500 : 4_000,
  });
}
