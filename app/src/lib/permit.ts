/**
 * EIP-2612 permits: a signature that lets `spender` take `value` of the wallet's tokens, submitted by the spender's
 * own `…WithPermit` entry point or by `permit()`, instead of a separate approve transaction. Tokens without EIP-2612
 * (no `eip712Domain`/`nonces`) give undefined, and the caller approves instead.
 */
import { parseSignature, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import { CreatorCoinAbi } from "../abis.ts";

export type Permit = { deadline: bigint; v: number; r: Hex; s: Hex };

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** Signs a permit; undefined when the token has no EIP-2612. A rejection in the wallet throws (the caller says so). */
export async function signPermit({ publicClient, wallet, token, spender, value, ttlSeconds = 3600 }: { publicClient: PublicClient; wallet: WalletClient; token: Address; spender: Address; value: bigint; ttlSeconds?: number }): Promise<Permit | undefined> {
  const account = wallet.account;
  if (account === undefined) return undefined;
  let domain: { name: string; version: string; chainId: number; verifyingContract: Address };
  let nonce: bigint;
  try {
    const [, name, version, chainId, verifyingContract] = await publicClient.readContract({ address: token, abi: CreatorCoinAbi, functionName: "eip712Domain" });
    nonce = await publicClient.readContract({ address: token, abi: CreatorCoinAbi, functionName: "nonces", args: [account.address] });
    domain = { name, version, chainId: Number(chainId), verifyingContract };
  } catch {
    return undefined;
  }
  const deadline = BigInt(Math.floor(Date.now() / 1000) + ttlSeconds);
  const signature = await wallet.signTypedData({ account, domain, types: PERMIT_TYPES, primaryType: "Permit", message: { owner: account.address, spender, value, nonce, deadline } });
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline, r, s, v: Number(v ?? BigInt(27 + yParity)) };
}
