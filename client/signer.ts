import type { Account, Address, Chain, LocalAccount, Transport, WalletClient } from "viem";
import { BeatStreamClientError } from "./errors.js";

/** What signs the events: a viem wallet client with an account (an injected or a local wallet), or a local account. */
export type BeatStreamWallet = WalletClient<Transport, Chain | undefined, Account> | WalletClient | Pick<LocalAccount, "type" | "address" | "signTypedData">;

/** The one signing call the SDK makes, the same for both kinds of wallet. */
export type Signer = {
  address: Address;
  signTypedData: LocalAccount["signTypedData"];
};

/** A local account signs itself; a wallet client signs with its account (through the wallet's `eth_signTypedData_v4` for a JSON-RPC account). */
export function toSigner(wallet: BeatStreamWallet): Signer {
  if (isLocalAccount(wallet)) return { address: wallet.address, signTypedData: (parameters) => wallet.signTypedData(parameters) };
  const client: WalletClient = wallet;
  const account = client.account;
  if (account === undefined) throw new BeatStreamClientError("no_account", "the wallet client has no account: create it with `account` (or pass a LocalAccount)");
  return {
    address: account.address,
    // viem's generic typed-data parameters do not narrow through this wrapper; the domain and types are the SDK's own.
    signTypedData: (parameters) => client.signTypedData({ ...parameters, account } as Parameters<typeof client.signTypedData>[0]),
  };
}

/** A wallet client's `type` is "walletClient"; a local account's is "local". */
function isLocalAccount(wallet: BeatStreamWallet): wallet is Pick<LocalAccount, "type" | "address" | "signTypedData"> {
  return wallet.type === "local";
}
