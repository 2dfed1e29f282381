/**
 * One transaction flow for every write: simulate (so a revert is caught and decoded before the wallet asks), estimate
 * its gas with a margin (relayer/src/chain/gas.ts), sign in
 * the wallet, wait for the receipt; the state says pending → confirmed → failed, and a failure is a sentence
 * (lib/errors.ts). After a confirmation every query refetches, so balances and lists follow.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import type { Abi, Address, Hash, TransactionReceipt } from "viem";
import { usePublicClient, useWalletClient } from "wagmi";
import { withGasMargin } from "../../../relayer/src/chain/gas.ts";
import { PROTOCOL_ERRORS } from "../abis.ts";
import { describeError, type ErrorContext } from "./errors.ts";

export type TxState =
  | { status: "idle" }
  | { status: "preparing"; label: string }
  | { status: "signing"; label: string }
  | { status: "pending"; label: string; hash: Hash }
  | { status: "confirmed"; label: string; hash: Hash; receipt: TransactionReceipt }
  | { status: "failed"; label: string; message: string; errorName?: string; hash?: Hash };

export type TxRequest = {
  /** What the user sees: "Buy 12 ADA". */
  label: string;
  address: Address;
  abi: Abi | readonly unknown[];
  functionName: string;
  args?: readonly unknown[];
  context?: ErrorContext;
};

export function useTransaction() {
  const [state, setState] = useState<TxState>({ status: "idle" });
  const publicClient = usePublicClient();
  const { data: wallet } = useWalletClient();
  const queryClient = useQueryClient();

  /** Runs one transaction; resolves with its receipt when confirmed, undefined when it failed (the state says why). */
  const send = useCallback(
    async ({ label, address, abi, functionName, args = [], context = {} }: TxRequest): Promise<TransactionReceipt | undefined> => {
      if (wallet === undefined || publicClient === undefined) {
        setState({ status: "failed", label, message: "Connect a wallet first." });
        return undefined;
      }
      // The function's own ABI plus every protocol error, so a revert deep in a nested call decodes by name.
      const withErrors = [...(abi as Abi), ...PROTOCOL_ERRORS] as Abi;
      let hash: Hash | undefined;
      try {
        setState({ status: "preparing", label });
        const { request } = await publicClient.simulateContract({ account: wallet.account, address, abi: withErrors, functionName, args });
        // A bare estimate can fall short by the time the call is mined (a deposit landing before a coin's first trade
        // makes the trade dearer), and the trade then reverts out of gas: send with a margin; unused gas is refunded.
        const gas = withGasMargin(await publicClient.estimateContractGas(request));
        setState({ status: "signing", label });
        hash = await wallet.writeContract({ ...request, gas });
        setState({ status: "pending", label, hash });
        const receipt = await publicClient.waitForTransactionReceipt({ hash });
        if (receipt.status !== "success") {
          setState({ status: "failed", label, hash, message: "The transaction was mined but reverted." });
          return undefined;
        }
        setState({ status: "confirmed", label, hash, receipt });
        void queryClient.invalidateQueries();
        return receipt;
      } catch (error) {
        const described = describeError(error, context);
        setState({ status: "failed", label, message: described.message, ...(described.errorName === undefined ? {} : { errorName: described.errorName }), ...(hash === undefined ? {} : { hash }) });
        return undefined;
      }
    },
    [wallet, publicClient, queryClient],
  );

  const reset = useCallback(() => setState({ status: "idle" }), []);
  return { state, send, reset, ready: wallet !== undefined };
}
