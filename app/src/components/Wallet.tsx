/**
 * The wallet corner: connect an injected wallet, or on the local chain the dev wallet (a Hardhat test account the
 * node signs for, labelled as such); the connected account with copy, its chain, and on the dev wallet a picker of
 * the node's accounts and a faucet for the local chain's MockUSDC.
 */
import { useQuery } from "@tanstack/react-query";
import { parseUnits, type Address as Hex20 } from "viem";
import { useBalance, useChainId, useConnect, useConnection, useConnectors, useDisconnect, useReadContract, useSwitchChain } from "wagmi";
import { erc20Abi, MockUSDCAbi } from "../abis.ts";
import { useAppConfig } from "../config.ts";
import { formatAmount, formatUsdc } from "../lib/format.ts";
import { useTransaction } from "../lib/tx.ts";
import { DEV_CONNECTOR_ID, devAccounts, selectDevAccount, selectedDevAccountIndex } from "../wagmi.ts";
import { Address, TxStatus } from "./ui.tsx";

export function useAccount(): Hex20 | undefined {
  return useConnection().address;
}

export function WalletPanel() {
  const app = useAppConfig();
  const { address, connector, status } = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();
  const chainId = useChainId();
  const { data: walletChain } = useQuery({ queryKey: ["wallet-chain", connector?.uid], queryFn: () => connector!.getChainId(), enabled: connector !== undefined, refetchInterval: 3_000 });
  const switchChain = useSwitchChain();
  const isDev = connector?.id === DEV_CONNECTOR_ID;

  if (address === undefined) {
    const injected = connectors.find((candidate) => candidate.type === "injected");
    const dev = connectors.find((candidate) => candidate.id === DEV_CONNECTOR_ID);
    const hasInjected = typeof window !== "undefined" && "ethereum" in window;
    return (
      <div className="wallet">
        {injected !== undefined ? (
          <button type="button" onClick={() => connect.mutate({ connector: injected })} disabled={!hasInjected || status === "connecting"} title={hasInjected ? "MetaMask or another browser wallet" : "no browser wallet found"}>
            Connect wallet
          </button>
        ) : null}
        {dev !== undefined ? (
          <button type="button" className="dev" onClick={() => connect.mutate({ connector: dev })} disabled={status === "connecting"}>
            Dev wallet (local chain only)
          </button>
        ) : null}
        {connect.error ? <span className="error">{connect.error.message.split("\n")[0]}</span> : null}
      </div>
    );
  }
  return (
    <div className="wallet connected">
      {isDev ? <span className="badge dev" title="Hardhat's public test account; the local node signs for it">dev wallet · local chain only</span> : null}
      <Address value={address} />
      {walletChain !== undefined && walletChain !== app.chainId ? (
        <button type="button" onClick={() => switchChain.mutate({ chainId: app.chainId })}>
          Switch to {app.chainName}
        </button>
      ) : (
        <span className="muted small">{app.chainName}</span>
      )}
      <button type="button" className="link" onClick={() => disconnect.mutate({})}>
        disconnect
      </button>
      {chainId !== app.chainId ? <span className="error">wrong chain</span> : null}
    </div>
  );
}

/** Balances of the connected account and, on the dev wallet, the account picker and the test-USDC faucet. */
export function AccountBox() {
  const app = useAppConfig();
  const { address, connector } = useConnection();
  const isDev = connector?.id === DEV_CONNECTOR_ID;
  const eth = useBalance({ address, query: { enabled: address !== undefined, refetchInterval: 4_000 } });
  const usdc = useReadContract({ address: app.contracts.USDC, abi: erc20Abi, functionName: "balanceOf", args: address === undefined ? undefined : [address], query: { enabled: address !== undefined, refetchInterval: 4_000 } });
  const accounts = useQuery({ queryKey: ["dev-accounts", app.rpcUrl], queryFn: () => devAccounts(app), enabled: isDev, staleTime: Infinity });
  const tx = useTransaction();
  if (address === undefined) return <p className="muted">Connect a wallet to trade, claim and see your portfolio{app.devWallet ? " — on this local chain, the dev wallet needs no extension" : ""}.</p>;
  return (
    <div className="account-box">
      <span>
        {eth.data === undefined ? "…" : `${formatAmount(eth.data.value, 18, 4)} ETH`} · <span data-testid="usdc-balance">{usdc.data === undefined ? "…" : formatUsdc(usdc.data)}</span>
      </span>
      {isDev && app.contracts.MockUSDC !== undefined ? (
        <button
          type="button"
          onClick={() => void tx.send({ label: "Get 1,000 test USDC", address: app.contracts.MockUSDC!, abi: MockUSDCAbi, functionName: "mint", args: [address, parseUnits("1000", 6)] })}
        >
          Get 1,000 test USDC
        </button>
      ) : null}
      {isDev && accounts.data !== undefined && accounts.data.length > 0 ? (
        <label className="small">
          dev account{" "}
          <select value={selectedDevAccountIndex()} onChange={(event) => selectDevAccount(Number(event.target.value))}>
            {accounts.data.map((account, index) => (
              <option key={account} value={index}>
                #{index} {account.slice(0, 8)}…
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <TxStatus state={tx.state} onDismiss={tx.reset} />
    </div>
  );
}
