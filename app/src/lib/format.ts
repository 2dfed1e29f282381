/** Numbers with their units, addresses shortened: the one place the app turns chain values into text. */
import { formatUnits } from "viem";

export const USDC_DECIMALS = 6;
export const COIN_DECIMALS = 18;

/** `value` (integer units with `decimals`) as a grouped decimal with at most `maxFraction` fraction digits (truncated). */
export function formatAmount(value: bigint, decimals: number, maxFraction = 4): string {
  const negative = value < 0n;
  const [whole = "0", fraction = ""] = formatUnits(negative ? -value : value, decimals).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let shown = fraction.slice(0, maxFraction).replace(/0+$/, "");
  // A tiny non-zero amount keeps its first significant digits rather than reading as 0.
  if (shown === "" && whole === "0" && /[1-9]/.test(fraction)) shown = fraction.slice(0, fraction.search(/[1-9]/) + 2).replace(/0+$/, "");
  return `${negative ? "−" : ""}${grouped}${shown === "" ? "" : `.${shown}`}`;
}

/** USDC (6 decimals) as "12.34 USDC". */
export function formatUsdc(value: bigint, maxFraction = 2): string {
  return `${formatAmount(value, USDC_DECIMALS, maxFraction)} USDC`;
}

/** Coin units (18 decimals) as "1,234.5 ADA". */
export function formatCoins(value: bigint, symbol: string, maxFraction = 4): string {
  return `${formatAmount(value, COIN_DECIMALS, maxFraction)} ${symbol}`;
}

/** An indexer price (USDC units per whole coin) as "0.0123 USDC". */
export function formatPrice(price: bigint): string {
  return `${formatAmount(price, USDC_DECIMALS, 6)} USDC`;
}

/** A ratio as "+1.23 %" / "−0.50 %". */
export function formatPercent(ratio: number, digits = 2): string {
  if (!Number.isFinite(ratio)) return "–";
  const sign = ratio > 0 ? "+" : ratio < 0 ? "−" : "";
  return `${sign}${Math.abs(ratio * 100).toFixed(digits)} %`;
}

/** 0x1234…abcd */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** Unix seconds as local date and time. */
export function formatTime(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** Unix seconds as "3 min ago". */
export function timeAgo(seconds: bigint | number, now = Date.now() / 1000): string {
  const delta = Math.max(0, Math.round(now - Number(seconds)));
  if (delta < 60) return `${delta} s ago`;
  if (delta < 3600) return `${Math.floor(delta / 60)} min ago`;
  if (delta < 86_400) return `${Math.floor(delta / 3600)} h ago`;
  return `${Math.floor(delta / 86_400)} d ago`;
}
