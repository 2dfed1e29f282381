/**
 * Buy and sell one coin against USDC on MusicDEX: a live exact quote (quoteBuy / quoteSell), the fee, the price
 * impact against the spot price, a slippage tolerance and a deadline. "Review" freezes the quote and its minimum
 * (minOut = quote · (1 − slippage)) the way the transaction will carry them; "Confirm" gets the allowance first
 * (an EIP-2612 permit signature where the token supports it, else approve) and then trades. A trade the chain
 * refuses is shown decoded: "Slippage: you would get 12.3 ADA, the minimum was 12.5 ADA".
 */
import { useState } from "react";
import { parseSignature, parseUnits, type Address as Hex20 } from "viem";
import { usePublicClient, useReadContract, useWalletClient } from "wagmi";
import { CreatorCoinAbi, erc20Abi, MusicDEXAbi } from "../abis.ts";
import { useAppConfig } from "../config.ts";
import type { Coin } from "../data/indexer.ts";
import { describeError } from "../lib/errors.ts";
import { COIN_DECIMALS, formatAmount, formatCoins, formatPercent, formatTime, formatUsdc, USDC_DECIMALS } from "../lib/format.ts";
import { minOut, priceImpact } from "../lib/market.ts";
import { useTransaction } from "../lib/tx.ts";
import { useAccount } from "./Wallet.tsx";
import { Card, Segmented, TxStatus } from "./ui.tsx";

const SIDES = ["buy", "sell"] as const;
type Side = (typeof SIDES)[number];
type Review = { side: Side; amount: bigint; quoted: bigint; fee: bigint; minOut: bigint; deadline: bigint; slippageBps: number };

function parseAmount(text: string, decimals: number): bigint | undefined {
  if (!/^\d*\.?\d*$/.test(text.trim()) || text.trim() === "" || text.trim() === ".") return undefined;
  try {
    return parseUnits(text.trim(), decimals);
  } catch {
    return undefined;
  }
}

export function TradePanel({ coin }: { coin: Coin }) {
  const app = useAppConfig();
  const account = useAccount();
  const publicClient = usePublicClient();
  const { data: wallet } = useWalletClient();
  const [side, setSide] = useState<Side>("buy");
  const [amountText, setAmountText] = useState("");
  const [slippageText, setSlippageText] = useState("0.5");
  const [deadlineText, setDeadlineText] = useState("10");
  const [review, setReview] = useState<Review | undefined>(undefined);
  const [approvalNote, setApprovalNote] = useState<string | undefined>(undefined);
  const approval = useTransaction();
  const trade = useTransaction();

  const coinAddress = coin.address as Hex20;
  const isBuy = side === "buy";
  const spendToken = isBuy ? app.contracts.USDC : coinAddress;
  const spendUnit = isBuy ? { decimals: USDC_DECIMALS, unit: "USDC" } : { decimals: COIN_DECIMALS, unit: coin.symbol };
  const receiveUnit = isBuy ? { decimals: COIN_DECIMALS, unit: coin.symbol } : { decimals: USDC_DECIMALS, unit: "USDC" };
  const amount = parseAmount(amountText, spendUnit.decimals);
  const slippage = Number(slippageText);
  const slippageBps = Number.isFinite(slippage) && slippage >= 0 && slippage <= 50 ? Math.round(slippage * 100) : undefined;
  const deadlineMinutes = Number(deadlineText);
  const deadlineValid = Number.isInteger(deadlineMinutes) && deadlineMinutes >= 1 && deadlineMinutes <= 24 * 60;
  const live = { enabled: amount !== undefined && amount > 0n, refetchInterval: 2_000 } as const;

  const buyQuote = useReadContract({ address: app.contracts.MusicDEX, abi: MusicDEXAbi, functionName: "quoteBuy", args: [coinAddress, amount ?? 0n], query: { ...live, enabled: live.enabled && isBuy } });
  const sellQuote = useReadContract({ address: app.contracts.MusicDEX, abi: MusicDEXAbi, functionName: "quoteSell", args: [coinAddress, amount ?? 0n], query: { ...live, enabled: live.enabled && !isBuy } });
  const quote = isBuy ? buyQuote : sellQuote;
  const spot = useReadContract({ address: app.contracts.MusicDEX, abi: MusicDEXAbi, functionName: "spotPrice", args: [coinAddress], query: { refetchInterval: 2_000 } });
  const owner = account ?? "0x0000000000000000000000000000000000000000";
  const balance = useReadContract({ address: spendToken, abi: erc20Abi, functionName: "balanceOf", args: [owner], query: { enabled: account !== undefined, refetchInterval: 3_000 } });
  const allowance = useReadContract({ address: spendToken, abi: erc20Abi, functionName: "allowance", args: [owner, app.contracts.MusicDEX], query: { enabled: account !== undefined, refetchInterval: 3_000 } });

  const [quoted, fee] = quote.data ?? [undefined, undefined];
  const impact =
    quoted === undefined || amount === undefined || spot.data === undefined
      ? undefined
      : // The curve's own move, the fee aside (shown on its own line): USDC that reaches the curve on a buy, leaves it on a sell.
        priceImpact({ isBuy, usdc: isBuy ? amount - (fee ?? 0n) : (quoted ?? 0n) + (fee ?? 0n), coins: isBuy ? quoted : amount, spot: spot.data });
  const quoteError = quote.error ? describeError(quote.error, { spend: spendUnit, receive: receiveUnit }).message : undefined;
  const insufficient = amount !== undefined && balance.data !== undefined && amount > balance.data;

  const startReview = () => {
    if (amount === undefined || quoted === undefined || fee === undefined || slippageBps === undefined || !deadlineValid) return;
    trade.reset();
    approval.reset();
    setReview({ side, amount, quoted, fee, minOut: minOut(quoted, slippageBps), deadline: BigInt(Math.floor(Date.now() / 1000) + deadlineMinutes * 60), slippageBps });
  };

  /** Allowance for the DEX: a permit signature where the token has EIP-2612 (then one transaction submits it), else approve. */
  const ensureAllowance = async (token: Hex20, needed: bigint): Promise<boolean> => {
    if (account === undefined || publicClient === undefined || wallet === undefined) return false;
    const current = await publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [account, app.contracts.MusicDEX] });
    if (current >= needed) return true;
    const unit = token === coinAddress ? coin.symbol : "USDC";
    const shown = token === coinAddress ? formatCoins(needed, coin.symbol) : formatUsdc(needed);
    let permit: { deadline: bigint; v: number; r: `0x${string}`; s: `0x${string}` } | undefined;
    try {
      const [, name, version, chainId, verifyingContract] = await publicClient.readContract({ address: token, abi: CreatorCoinAbi, functionName: "eip712Domain" });
      const nonce = await publicClient.readContract({ address: token, abi: CreatorCoinAbi, functionName: "nonces", args: [account] });
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
      setApprovalNote(`Sign a permit: MusicDEX may spend ${shown} until ${formatTime(deadline)}.`);
      const signature = await wallet.signTypedData({
        account: wallet.account,
        domain: { name, version, chainId, verifyingContract },
        types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
        primaryType: "Permit",
        message: { owner: account, spender: app.contracts.MusicDEX, value: needed, nonce, deadline },
      });
      const { r, s, v, yParity } = parseSignature(signature);
      permit = { deadline, r, s, v: Number(v ?? BigInt(27 + yParity)) };
    } catch (error) {
      const described = describeError(error);
      if (/rejected/i.test(described.message)) {
        setApprovalNote(described.message);
        return false;
      }
      // No EIP-2612 on this token (or the wallet cannot sign typed data): a plain approval does the same.
      permit = undefined;
    }
    setApprovalNote(undefined);
    const receipt =
      permit === undefined
        ? await approval.send({ label: `Approve ${shown} for MusicDEX`, address: token, abi: erc20Abi, functionName: "approve", args: [app.contracts.MusicDEX, needed] })
        : await approval.send({ label: `Permit ${shown} for MusicDEX`, address: token, abi: CreatorCoinAbi, functionName: "permit", args: [account, app.contracts.MusicDEX, needed, permit.deadline, permit.v, permit.r, permit.s], context: { spend: { decimals: token === coinAddress ? COIN_DECIMALS : USDC_DECIMALS, unit } } });
    return receipt !== undefined;
  };

  const confirm = async () => {
    if (review === undefined || account === undefined) return;
    const token = review.side === "buy" ? app.contracts.USDC : coinAddress;
    if (!(await ensureAllowance(token, review.amount))) return;
    const buying = review.side === "buy";
    const receipt = await trade.send({
      label: buying ? `Buy ${coin.symbol} for ${formatUsdc(review.amount)}` : `Sell ${formatCoins(review.amount, coin.symbol)}`,
      address: app.contracts.MusicDEX,
      abi: MusicDEXAbi,
      functionName: buying ? "buy" : "sell",
      args: [coinAddress, review.amount, review.minOut, account, review.deadline],
      context: buying ? { spend: { decimals: USDC_DECIMALS, unit: "USDC" }, receive: { decimals: COIN_DECIMALS, unit: coin.symbol } } : { spend: { decimals: COIN_DECIMALS, unit: coin.symbol }, receive: { decimals: USDC_DECIMALS, unit: "USDC" } },
    });
    if (receipt !== undefined) {
      setReview(undefined);
      setAmountText("");
    }
  };

  const busy = ["preparing", "signing", "pending"].includes(trade.state.status) || ["preparing", "signing", "pending"].includes(approval.state.status);
  const fmtReceive = (value: bigint) => (isBuy ? formatCoins(value, coin.symbol) : formatUsdc(value, 6));

  return (
    <Card title="Trade">
      <Segmented
        label="side"
        options={SIDES}
        value={side}
        onChange={(value) => {
          setSide(value);
          setAmountText("");
          setReview(undefined);
        }}
        text={(value) => (value === "buy" ? `Buy ${coin.symbol}` : `Sell ${coin.symbol}`)}
      />
      <form
        className="trade-form"
        onSubmit={(event) => {
          event.preventDefault();
          startReview();
        }}
      >
        <label>
          {isBuy ? "You pay (USDC)" : `You sell (${coin.symbol})`}
          <input name="amount" inputMode="decimal" autoComplete="off" placeholder="0.0" value={amountText} onChange={(event) => (setAmountText(event.target.value), setReview(undefined))} aria-invalid={amountText !== "" && amount === undefined} />
        </label>
        <p className="small muted">
          Balance: {balance.data === undefined ? "–" : `${formatAmount(balance.data, spendUnit.decimals, 4)} ${spendUnit.unit}`}
          {balance.data !== undefined && balance.data > 0n ? (
            <button type="button" className="link" onClick={() => (setAmountText(formatAmount(balance.data!, spendUnit.decimals, spendUnit.decimals).replace(/,/g, "")), setReview(undefined))}>
              max
            </button>
          ) : null}
        </p>
        <div className="row">
          <label>
            Slippage tolerance (%)
            <input name="slippage" inputMode="decimal" value={slippageText} onChange={(event) => (setSlippageText(event.target.value), setReview(undefined))} aria-invalid={slippageBps === undefined} />
          </label>
          <label>
            Deadline (minutes)
            <input name="deadline" inputMode="numeric" value={deadlineText} onChange={(event) => (setDeadlineText(event.target.value), setReview(undefined))} aria-invalid={!deadlineValid} />
          </label>
        </div>
        <dl className="quote" aria-live="polite" data-testid="quote">
          <dt>You get</dt>
          <dd data-testid="quote-out">{quoted === undefined ? (quote.isFetching ? "quoting…" : "–") : fmtReceive(quoted)}</dd>
          <dt>Fee (2.5 %)</dt>
          <dd>{fee === undefined ? "–" : formatUsdc(fee, 6)}</dd>
          <dt>Price impact</dt>
          <dd className={impact !== undefined && impact > 0.05 ? "down" : ""}>{impact === undefined ? "–" : formatPercent(impact).replace("+", "")}</dd>
          <dt>Minimum received</dt>
          <dd data-testid="quote-min">{quoted === undefined || slippageBps === undefined ? "–" : fmtReceive(minOut(quoted, slippageBps))}</dd>
        </dl>
        {quoteError !== undefined ? <p className="error" role="alert">{quoteError}</p> : null}
        {insufficient ? <p className="error">Insufficient balance: you have {formatAmount(balance.data!, spendUnit.decimals, 4)} {spendUnit.unit}.</p> : null}
        {account === undefined ? (
          <p className="muted">Connect a wallet to trade.</p>
        ) : (
          <button type="submit" className="primary" disabled={amount === undefined || amount === 0n || quoted === undefined || slippageBps === undefined || !deadlineValid || busy}>
            Review {isBuy ? "buy" : "sell"}
          </button>
        )}
      </form>
      {review !== undefined ? (
        <div className="review" role="group" aria-label="review trade">
          <p>
            {review.side === "buy" ? `Pay ${formatUsdc(review.amount, 6)}` : `Sell ${formatCoins(review.amount, coin.symbol)}`}, get about{" "}
            <strong>{review.side === "buy" ? formatCoins(review.quoted, coin.symbol) : formatUsdc(review.quoted, 6)}</strong>, at least{" "}
            <strong data-testid="review-min">{review.side === "buy" ? formatCoins(review.minOut, coin.symbol) : formatUsdc(review.minOut, 6)}</strong> ({review.slippageBps / 100} % slippage), by {formatTime(review.deadline)}.
            {allowance.data !== undefined && allowance.data < review.amount ? " An approval comes first." : ""}
          </p>
          <button type="button" className="primary" onClick={() => void confirm()} disabled={busy}>
            Confirm {review.side}
          </button>
          <button type="button" className="link" onClick={() => setReview(undefined)} disabled={busy}>
            cancel
          </button>
        </div>
      ) : null}
      {approvalNote !== undefined ? <p className="muted" role="status">{approvalNote}</p> : null}
      <TxStatus state={approval.state} />
      <TxStatus state={trade.state} onDismiss={trade.reset} />
    </Card>
  );
}
