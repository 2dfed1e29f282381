import { createWalletClient, http, type Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type PublicClient } from "viem";
import type { LocalAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { withGasMargin } from "../../relayer/src/chain/gas.js";

/** Sends one contract call from `account` and resolves with its receipt; throws when it reverted. */
export type Sender = <const abi extends Abi, name extends ContractFunctionName<abi, "nonpayable" | "payable">>(
  account: LocalAccount,
  call: { address: Address; abi: abi; functionName: name; args: ContractFunctionArgs<abi, "nonpayable" | "payable", name> },
) => ReturnType<PublicClient["waitForTransactionReceipt"]>;

export type CreateSenderParameters = { client: PublicClient; rpcUrl: string; pollingInterval?: number };

/** Transactions on the local Hardhat chain (automining: a receipt is there at once), one wallet client per account. */
export function createSender({ client, rpcUrl, pollingInterval = 100 }: CreateSenderParameters): Sender {
  const wallets = new Map<Address, ReturnType<typeof createWalletClient>>();
  return async (account, call) => {
    let wallet = wallets.get(account.address);
    if (wallet === undefined) {
      wallet = createWalletClient({ account, chain: hardhat, transport: http(rpcUrl) });
      wallets.set(account.address, wallet);
    }
    // The simulator's fans trade while creators deposit: a bare estimate can fall short by the time the call is mined
    // (relayer/src/chain/gas.ts). viem's generic contract parameters cannot be spelled through a wrapper without a cast.
    const gas = withGasMargin(await client.estimateContractGas({ ...call, account } as never));
    const hash = await wallet.writeContract({ ...call, account, chain: hardhat, gas } as never);
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval });
    if (receipt.status !== "success") throw new Error(`${String(call.functionName)} reverted (${hash})`);
    return receipt;
  };
}
