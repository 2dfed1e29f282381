import { Signature, type Signer } from "ethers";

/** The EIP-2612 `Permit` type. */
export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export interface PermitParameters {
  /** The token's EIP-712 domain name ("USD Coin" for MockUSDC, "CreatorCoin" for every coin). */
  name: string;
  /** The token (the domain's verifying contract). */
  token: string;
  chainId: bigint;
  /** The owner's current permit nonce on that token. */
  nonce: bigint;
  spender: string;
  value: bigint;
  deadline: bigint;
}

/** The owner signs an EIP-2612 permit (`eth_signTypedData_v4`), split into v, r, s. */
export async function signPermit(owner: Signer, { name, token, chainId, nonce, spender, value, deadline }: PermitParameters) {
  const domain = { name, version: "1", chainId, verifyingContract: token };
  const message = { owner: await owner.getAddress(), spender, value, nonce, deadline };
  return Signature.from(await owner.signTypedData(domain, PERMIT_TYPES, message));
}
