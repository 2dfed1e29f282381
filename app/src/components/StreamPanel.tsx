/**
 * Pay-per-second (docs/stream.md): deposit USDC into BeatStreamVault (with a permit signature where USDC has one, so
 * one transaction), open a session over the relayer's WebSocket with the streaming client
 * (`beatstream-protocol/stream-client`), which signs a cumulative voucher every few seconds; the meter shows the time,
 * what it is worth, what was signed and what the relayer acknowledged (stored), live. Then stop, see the balance, and
 * request and execute a withdrawal after the vault's delay.
 */
import { createStreamClient, type ClosedFrame, type StreamClient, type TickFrame } from "beatstream-protocol/stream-client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { parseUnits, type Address as Hex20 } from "viem";
import { usePublicClient, useReadContracts, useWalletClient } from "wagmi";
import { BeatStreamVaultAbi, erc20Abi } from "../abis.ts";
import { useAppConfig } from "../config.ts";
import { useListenerBalance } from "../data/fan.ts";
import type { CatalogTrack } from "../data/tracks.ts";
import { formatTime, formatUsdc, USDC_DECIMALS } from "../lib/format.ts";
import { signPermit } from "../lib/permit.ts";
import { useTransaction } from "../lib/tx.ts";
import { Card, Stat, TxStatus } from "./ui.tsx";

const USDC = { decimals: USDC_DECIMALS, unit: "USDC" };

function parseUsdc(text: string): bigint | undefined {
  if (!/^\d+(\.\d{0,6})?$/.test(text.trim())) return undefined;
  const value = parseUnits(text.trim(), USDC_DECIMALS);
  return value > 0n ? value : undefined;
}

export function StreamPanel({ track, account }: { track: CatalogTrack; account: Hex20 | undefined }) {
  const app = useAppConfig();
  const vault = app.contracts.BeatStreamVault;
  const publicClient = usePublicClient();
  const { data: wallet } = useWalletClient();
  const queryClient = useQueryClient();
  const deposit = useTransaction();
  const withdrawal = useTransaction();
  const balance = useListenerBalance(account);
  const chain = useReadContracts({
    contracts: account === undefined ? [] : ([
      { address: vault, abi: BeatStreamVaultAbi, functionName: "pendingWithdrawal", args: [account] },
      { address: vault, abi: BeatStreamVaultAbi, functionName: "withdrawalDelayLeft", args: [account] },
      { address: vault, abi: BeatStreamVaultAbi, functionName: "balanceOf", args: [account] },
    ] as const),
    query: { enabled: account !== undefined, refetchInterval: 3_000 },
  });
  const pending = chain.data?.[0]?.result as { amount: bigint; availableAt: bigint } | undefined;
  const delayLeft = chain.data?.[1]?.result as bigint | undefined;
  const vaultBalance = chain.data?.[2]?.result as bigint | undefined;

  const [depositText, setDepositText] = useState("10");
  const [rateText, setRateText] = useState("0.01");
  const [withdrawText, setWithdrawText] = useState("");
  const [tick, setTick] = useState<TickFrame>();
  const [acked, setAcked] = useState(0n);
  const [signed, setSigned] = useState(0n);
  const [closed, setClosed] = useState<ClosedFrame>();
  const [streamError, setStreamError] = useState<string>();
  const [status, setStatus] = useState<"idle" | "opening" | "live" | "stopping">("idle");
  const session = useRef<StreamClient | undefined>(undefined);

  // Leaving the page or switching track stops the session (pays what was heard, closes it).
  useEffect(
    () => () => {
      void session.current?.stop().catch(() => undefined);
      session.current = undefined;
    },
    [track.id],
  );

  const depositAmount = parseUsdc(depositText);
  const rate = parseUsdc(rateText);
  const withdrawAmount = parseUsdc(withdrawText);

  const doDeposit = async () => {
    if (depositAmount === undefined || wallet === undefined || publicClient === undefined || account === undefined) return;
    const allowance = await publicClient.readContract({ address: app.contracts.USDC, abi: erc20Abi, functionName: "allowance", args: [account, vault] });
    if (allowance < depositAmount) {
      let permit;
      try {
        permit = await signPermit({ publicClient, wallet, token: app.contracts.USDC, spender: vault, value: depositAmount });
      } catch (error) {
        setStreamError(`Permit not signed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
        return;
      }
      if (permit !== undefined) {
        await deposit.send({ label: `Deposit ${formatUsdc(depositAmount)} into the vault`, address: vault, abi: BeatStreamVaultAbi, functionName: "depositWithPermit", args: [depositAmount, permit.deadline, permit.v, permit.r, permit.s], context: { spend: USDC } });
        return;
      }
      if ((await deposit.send({ label: `Approve ${formatUsdc(depositAmount)} for the vault`, address: app.contracts.USDC, abi: erc20Abi, functionName: "approve", args: [vault, depositAmount], context: { spend: USDC } })) === undefined) return;
    }
    await deposit.send({ label: `Deposit ${formatUsdc(depositAmount)} into the vault`, address: vault, abi: BeatStreamVaultAbi, functionName: "deposit", args: [depositAmount], context: { spend: USDC } });
  };

  const start = async () => {
    if (wallet === undefined || rate === undefined || session.current !== undefined) return;
    setStreamError(undefined);
    setClosed(undefined);
    setTick(undefined);
    setAcked(0n);
    setSigned(0n);
    setStatus("opening");
    const client = createStreamClient({
      url: `${app.relayerUrl.replace(/^http/, "ws")}/v1/stream`,
      // The wallet signs each voucher (the dev wallet through the node; an injected wallet may prompt).
      account: { address: wallet.account.address, signTypedData: (parameters) => wallet.signTypedData({ ...parameters, account: wallet.account } as Parameters<typeof wallet.signTypedData>[0]) },
      chainId: app.chainId,
      vault,
      trackId: BigInt(track.id),
      // The indexer's creator of the track: the client refuses a session the relayer opens to pay anyone else.
      artist: track.creator as Hex20,
      ratePerSecond: rate,
    });
    session.current = client;
    client.on("tick", (frame) => {
      setTick(frame);
      setSigned(client.signed());
    });
    client.on("ack", () => {
      setAcked(client.spent());
      setSigned(client.signed());
    });
    client.on("error", (frame) => setStreamError(`${frame.code}: ${frame.message}`));
    client.on("closed", (frame) => {
      setClosed(frame);
      setAcked(client.spent());
      setStatus("idle");
      if (session.current === client) session.current = undefined;
      void queryClient.invalidateQueries({ queryKey: ["relayer"] });
    });
    try {
      await client.start();
      setStatus("live");
    } catch (error) {
      session.current = undefined;
      setStatus("idle");
      setStreamError(error instanceof Error ? error.message : String(error));
    }
  };

  const stop = async () => {
    const client = session.current;
    if (client === undefined) return;
    setStatus("stopping");
    try {
      const frame = await client.stop();
      setClosed(frame);
      setAcked(client.spent());
    } catch (error) {
      setStreamError(error instanceof Error ? error.message : String(error));
    } finally {
      session.current = undefined;
      setStatus("idle");
      void queryClient.invalidateQueries({ queryKey: ["relayer"] });
    }
  };

  if (account === undefined) return <Card title="Pay per second">Connect a wallet to stream: deposit USDC into the vault, then pay this artist by the second.</Card>;
  const available = balance.data === undefined ? undefined : BigInt(balance.data.available);
  const canWithdraw = pending !== undefined && pending.amount > 0n && delayLeft === 0n;
  return (
    <Card title="Pay per second">
      <div className="stats">
        <Stat label="In the vault" value={<span data-testid="vault-balance">{vaultBalance === undefined ? "…" : formatUsdc(vaultBalance, 6)}</span>} />
        <Stat label="Available to stream" value={<span data-testid="vault-available">{available === undefined ? "…" : formatUsdc(available, 6)}</span>} hint={balance.data === undefined ? undefined : `${formatUsdc(BigInt(balance.data.unsettled), 6)} signed, not yet settled`} />
        <Stat
          label="Pending withdrawal"
          value={<span data-testid="pending-withdrawal">{pending === undefined ? "…" : formatUsdc(pending.amount, 6)}</span>}
          hint={pending === undefined || pending.amount === 0n ? undefined : delayLeft === 0n ? "available now" : `available ${formatTime(pending.availableAt)}`}
        />
      </div>
      <div className="row">
        <label>
          Deposit (USDC)
          <input name="deposit" inputMode="decimal" value={depositText} onChange={(event) => setDepositText(event.target.value)} aria-invalid={depositAmount === undefined} />
        </label>
        <button type="button" className="primary" onClick={() => void doDeposit()} disabled={depositAmount === undefined || deposit.state.status === "pending" || deposit.state.status === "signing" || deposit.state.status === "preparing"}>
          Deposit
        </button>
      </div>
      <TxStatus state={deposit.state} onDismiss={deposit.reset} />

      <div className="row">
        <label>
          Rate (USDC per second)
          <input name="rate" inputMode="decimal" value={rateText} onChange={(event) => setRateText(event.target.value)} disabled={status !== "idle"} aria-invalid={rate === undefined} />
        </label>
        {status === "idle" ? (
          <button type="button" className="primary" onClick={() => void start()} disabled={rate === undefined || wallet === undefined}>
            Start streaming
          </button>
        ) : (
          <button type="button" onClick={() => void stop()} disabled={status !== "live"}>
            {status === "opening" ? "Opening…" : status === "stopping" ? "Stopping…" : "Stop streaming"}
          </button>
        )}
      </div>
      {status === "idle" && tick === undefined && closed === undefined ? null : (
        <div className="meter" data-testid="stream-meter" data-status={status} aria-live="polite">
          <Stat label="Streaming for" value={`${tick?.elapsed ?? 0} s`} />
          <Stat label="Worth" value={formatUsdc(BigInt(tick?.due ?? "0"), 6)} hint={`${rateText} USDC/s`} />
          <Stat label="Vouchers signed" value={<span data-testid="stream-signed">{formatUsdc(signed, 6)}</span>} />
          <Stat label="Acknowledged by the relayer" value={<span data-testid="stream-acked">{formatUsdc(acked, 6)}</span>} hint="stored; settled on-chain in batches" />
        </div>
      )}
      {closed === undefined ? null : (
        <p className="muted small" data-testid="stream-closed">
          Session closed ({closed.reason}): {formatUsdc(BigInt(closed.cumulativeAmount), 6)} signed to the artist in all.
        </p>
      )}
      {streamError === undefined ? null : (
        <p className="error small" role="alert">
          {streamError}
        </p>
      )}

      <div className="row">
        <label>
          Withdraw (USDC)
          <input name="withdraw" inputMode="decimal" value={withdrawText} onChange={(event) => setWithdrawText(event.target.value)} placeholder="amount" />
        </label>
        <button type="button" disabled={withdrawAmount === undefined} onClick={() => void withdrawal.send({ label: `Request withdrawal of ${formatUsdc(withdrawAmount ?? 0n, 6)}`, address: vault, abi: BeatStreamVaultAbi, functionName: "requestWithdrawal", args: [withdrawAmount ?? 0n], context: { spend: USDC } })}>
          Request withdrawal
        </button>
        <button type="button" className="primary" disabled={!canWithdraw} title={canWithdraw ? undefined : "after the vault's withdrawal delay"} onClick={() => void withdrawal.send({ label: "Withdraw", address: vault, abi: BeatStreamVaultAbi, functionName: "withdraw", context: { receive: USDC } })}>
          Withdraw now
        </button>
        {pending !== undefined && pending.amount > 0n ? (
          <button type="button" className="link" onClick={() => void withdrawal.send({ label: "Cancel withdrawal", address: vault, abi: BeatStreamVaultAbi, functionName: "cancelWithdrawal" })}>
            cancel
          </button>
        ) : null}
      </div>
      <TxStatus state={withdrawal.state} onDismiss={withdrawal.reset} />
    </Card>
  );
}
