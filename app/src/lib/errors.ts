/**
 * Any failure of a wallet request, a simulation or a transaction, in words: custom errors are decoded from the
 * protocol's ABIs (never shown as revert hex), and those users meet get a sentence with their numbers in units.
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, UserRejectedRequestError, type Hex } from "viem";
import { PROTOCOL_ERRORS } from "../abis.ts";
import { formatAmount, formatTime } from "./format.ts";

/** What the user was doing, so amounts in an error read in the right unit. */
export type ErrorContext = {
  /** What the user pays: USDC when buying, the coin when selling. */
  spend?: { decimals: number; unit: string };
  /** What the user receives: the coin when buying, USDC when selling. */
  receive?: { decimals: number; unit: string };
};

export type DescribedError = {
  /** One sentence a user can act on. */
  message: string;
  /** The decoded custom error, e.g. `MusicDEXSlippage(123, 125)`, when the chain reverted with one. */
  errorName?: string;
};

type Args = readonly unknown[];
const big = (value: unknown) => (typeof value === "bigint" ? value : BigInt(String(value ?? 0)));
const amount = (value: unknown, unit: { decimals: number; unit: string } | undefined) => (unit === undefined ? String(value) : `${formatAmount(big(value), unit.decimals, 6)} ${unit.unit}`);

/** The sentences of the errors users hit; every other custom error is shown by name with its arguments. */
const SENTENCES: Record<string, (args: Args, context: ErrorContext) => string> = {
  MusicDEXSlippage: ([amountOut, minOut], { receive }) =>
    `Slippage: you would get ${amount(amountOut, receive)}, the minimum was ${amount(minOut, receive)}. The price moved; raise the slippage tolerance or try again.`,
  MusicDEXDeadlinePassed: ([deadline, timestamp]) =>
    `Deadline passed: the trade had to be mined by ${formatTime(big(deadline))}, and the chain's time was ${formatTime(big(timestamp))}. Try again with a later deadline.`,
  MusicDEXInsufficientReserve: ([usdcOut, reserve]) =>
    `The market holds only ${amount(reserve, { decimals: 6, unit: "USDC" })} and this sale would take ${amount(usdcOut, { decimals: 6, unit: "USDC" })}: sell less.`,
  MusicDEXInvalidAmount: ([value], { spend }) => `The amount ${amount(value, spend)} is zero or more than the market can take.`,
  MusicDEXZeroOutput: ([value], { spend }) => `${amount(value, spend)} is too little: it would buy nothing.`,
  MusicDEXMarketNotOpen: () => "This coin has no open market.",
  EnforcedPause: () => "Paused: governance has paused this contract for now. Nothing was spent; try again later.",
  ERC20InsufficientBalance: ([, balance, needed], { spend }) => `Insufficient balance: you have ${amount(balance, spend)}, this needs ${amount(needed, spend)}.`,
  ERC20InsufficientAllowance: ([, allowance, needed], { spend }) =>
    `Allowance too low: the contract may spend ${amount(allowance, spend)} of yours, this needs ${amount(needed, spend)}. Approve first.`,
  ERC2612ExpiredSignature: ([deadline]) => `The signed permit expired at ${formatTime(big(deadline))}: sign again.`,
  ERC2612InvalidSigner: () => "The permit was signed by another account than the one sending it.",
  CreatorCoinNothingToClaim: () => "Nothing to claim yet: revenue unlocks over time.",
  CreatorCoinNothingToRelease: () => "Nothing vested to release yet.",
  RevenueDistributorUnknownCoin: ([coin]) => `${String(coin)} is not a registered creator coin.`,
  CreatorCoinFactoryBelowThreshold: ([plays, threshold]) => `Not yet: ${String(plays)} committed plays of the ${String(threshold)} a launch needs.`,
  CreatorCoinFactoryAlreadyLaunched: ([, coin]) => `This creator already launched a coin (${String(coin)}).`,
  AccessControlUnauthorizedAccount: ([account, role]) => `${String(account)} lacks the role ${String(role)} this needs.`,
};

/** The decoded custom error of a revert, from a viem error or raw revert data. */
function decodeRevert(error: unknown): { name: string; args: Args } | { reason: string } | undefined {
  if (error instanceof BaseError) {
    const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      if (reverted.data !== undefined) return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
      if (reverted.raw !== undefined) {
        const decoded = tryDecode(reverted.raw);
        if (decoded !== undefined) return decoded;
      }
      if (reverted.reason !== undefined) return { reason: reverted.reason };
    }
    // A revert that reached us as raw data elsewhere in the chain of causes (e.g. an RPC error's `data`).
    const withData = error.walk((cause) => typeof (cause as { data?: unknown }).data === "string" && /^0x[0-9a-f]{8}/i.test((cause as { data: string }).data));
    const data = (withData as { data?: unknown } | null)?.data;
    if (typeof data === "string") return tryDecode(data as Hex);
  }
  return undefined;
}

function tryDecode(data: Hex): { name: string; args: Args } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: PROTOCOL_ERRORS, data });
    return { name: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

/** `error` as a sentence (and the decoded custom error's name). */
export function describeError(error: unknown, context: ErrorContext = {}): DescribedError {
  if (error instanceof BaseError && error.walk((cause) => cause instanceof UserRejectedRequestError) instanceof UserRejectedRequestError) {
    return { message: "You rejected the request in your wallet. Nothing was sent." };
  }
  const revert = decodeRevert(error);
  if (revert !== undefined && "name" in revert) {
    const sentence = SENTENCES[revert.name];
    const errorName = `${revert.name}(${revert.args.map(String).join(", ")})`;
    return { message: sentence === undefined ? `The contract refused: ${errorName}.` : sentence(revert.args, context), errorName };
  }
  if (revert !== undefined) return { message: `The contract refused: ${revert.reason}.` };
  if (error instanceof BaseError) return { message: error.shortMessage.replace(/0x[0-9a-fA-F]{16,}/g, "(data)") };
  return { message: error instanceof Error ? error.message : String(error) };
}
