import type { BaseContract, Signer, TypedDataDomain } from "ethers";
import { ethers } from "ethers";
import { STREAM_VOUCHER_TYPES as RELAYER_STREAM_VOUCHER_TYPES } from "../../../relayer/src/crypto/eip712.js";

/** A StreamVoucher as the vault and the listener's client see it. */
export interface StreamVoucher {
  listener: string;
  artist: string;
  sessionId: string;
  cumulativeAmount: bigint;
  deadline: bigint;
}

/** The relayer's definition (held equal to the vault's hashVoucher by the relayer's tests), as ethers takes it. */
export const STREAM_VOUCHER_TYPES = { StreamVoucher: [...RELAYER_STREAM_VOUCHER_TYPES.StreamVoucher] };

/** The vault's EIP-712 domain, built from the chain like a client would. */
export async function vaultDomain(vault: BaseContract, chainId: bigint): Promise<TypedDataDomain> {
  return { name: "BeatStreamVault", version: "1", chainId, verifyingContract: await vault.getAddress() };
}

/** The listener signs the voucher with EIP-712 (`eth_signTypedData_v4`). */
export async function signVoucher(listener: Signer, domain: TypedDataDomain, voucher: StreamVoucher): Promise<string> {
  return listener.signTypedData(domain, STREAM_VOUCHER_TYPES, voucher);
}

/** Concatenates 65-byte signatures in voucher order, the layout `settle` reads. */
export function packSignatures(signatures: string[]): string {
  return ethers.concat(signatures);
}

/** keccak256(abi.encode(listener, artist, sessionId)): the key of a session's settled amount. */
export function sessionKey(listener: string, artist: string, sessionId: string): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(["address", "address", "bytes32"], [listener, artist, sessionId]),
  );
}

/** A deterministic session id for tests. */
export function sessionIdOf(label: string): string {
  return ethers.id(label);
}
