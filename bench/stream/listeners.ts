/**
 * Stream listeners for the benchmarks that open pay-per-second sessions (bench/stream, bench/soak): fresh keys for
 * the load generator's keys file, and their vault balances on the in-process chain, funded by impersonation (no
 * signing, so thousands are funded in seconds).
 */
import type { NetworkConnection } from "hardhat/types/network";
import { bytesToHex, encodeFunctionData, type Address, type Hex } from "viem";
import { usdcAbi, vaultTestAbi } from "../../test/relayer/stream.helpers.js";
import { randomAccount } from "../shared.js";

export type StreamListenerKey = { key: Hex; address: Address };

/** `count` fresh listeners, keys as hex (the form bench/stream/load.ts reads). */
export function streamListenerKeys(count: number): StreamListenerKey[] {
  return Array.from({ length: count }, () => {
    const { key, address } = randomAccount();
    return { key: bytesToHex(key), address };
  });
}

export type FundStreamListenersParameters = {
  connection: NetworkConnection<"generic">;
  listeners: readonly { address: Address }[];
  usdc: Address;
  vault: Address;
  /** MockUSDC minted to each listener and deposited in the vault. */
  deposit: bigint;
};

/** Gives each listener 1 ETH for gas and `deposit` in the vault (minted, approved, deposited from its own address). */
export async function fundStreamListeners({ connection, listeners, usdc, vault, deposit }: FundStreamListenersParameters): Promise<void> {
  const { ethers, networkHelpers, provider } = connection;
  const send = (from: Address, to: Address, data: Hex) => provider.request({ method: "eth_sendTransaction", params: [{ from, to, data }] });
  for (const { address } of listeners) {
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, ethers.parseEther("1"));
    await send(address, usdc, encodeFunctionData({ abi: usdcAbi, functionName: "mint", args: [address, deposit] }));
    await send(address, usdc, encodeFunctionData({ abi: usdcAbi, functionName: "approve", args: [vault, deposit] }));
    await send(address, vault, encodeFunctionData({ abi: vaultTestAbi, functionName: "deposit", args: [deposit] }));
  }
}
