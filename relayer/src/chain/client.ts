import { createPublicClient, createWalletClient, defineChain, http, type Account, type Hex, type Transport } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export type ChainClientSettings = {
  chainId: number;
  rpcUrl: string;
  /** Replaces `http(rpcUrl)` (tests pass an in-process provider). */
  transport?: Transport | undefined;
};

/** The chain the relayer is configured for, as viem describes a chain. */
export function relayerChain({ chainId, rpcUrl }: ChainClientSettings) {
  return defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** The one way the relayer (server, CLI, writers, readers) reaches the chain for reading. */
export function createReadClient(settings: ChainClientSettings) {
  return createPublicClient({ chain: relayerChain(settings), transport: settings.transport ?? http(settings.rpcUrl) });
}

export type CreateSigningClientsParameters = ChainClientSettings & { key: Hex };

/** A reading and a signing client for the account of `key`, on the same chain and transport. */
export function createSigningClients({ key, ...settings }: CreateSigningClientsParameters) {
  const chain = relayerChain(settings);
  const transport = settings.transport ?? http(settings.rpcUrl);
  const account: Account = privateKeyToAccount(key);
  return {
    account,
    publicClient: createPublicClient({ chain, transport }),
    walletClient: createWalletClient({ chain, transport, account }),
  };
}
