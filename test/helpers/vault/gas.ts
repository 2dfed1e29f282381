import type { NetworkConnection } from "hardhat/types/network";
import BeatStreamVaultModule from "../../../deploy/modules/BeatStreamVault.js";
import { packSignatures, signVoucher, type StreamVoucher, vaultDomain } from "./vouchers.js";

export interface SettleGas {
  gas1First: bigint;
  gas100First: bigint;
  gas1Repeat: bigint;
  gas100Repeat: bigint;
  perVoucherFirst: bigint;
  perVoucherRepeat: bigint;
  /** Calldata gas (16 per nonzero byte, 4 per zero byte) of one voucher and its signature. */
  calldataPerVoucher: bigint;
}

function calldataGas(data: string): bigint {
  const bytes = Buffer.from(data.slice(2), "hex");
  return bytes.reduce((gas, byte) => gas + (byte === 0 ? 4n : 16n), 0n);
}

/**
 * Receipt gasUsed of settling 1 and 100 vouchers (distinct listeners, one artist whose earnings
 * are already nonzero, as on a running system), first and then repeated with higher amounts.
 */
export async function measureSettleGas(connection: NetworkConnection): Promise<SettleGas> {
  const { ethers, networkHelpers, ignition } = connection;
  const [relayer, artist] = await ethers.getSigners();
  const deployed = await ignition.deploy(BeatStreamVaultModule);
  const vault = await ethers.getContractAt("BeatStreamVault", await deployed.vault.getAddress());
  const usdc = await ethers.getContractAt("MockUSDC", await deployed.usdc.getAddress());
  const domain = await vaultDomain(vault, (await ethers.provider.getNetwork()).chainId);
  const deadline = BigInt(await networkHelpers.time.latest()) + 86_400n;

  // 102 funded listeners: one warms the artist's earnings slot, one settles alone, 100 settle together.
  const listeners = Array.from({ length: 102 }, (_, i) =>
    new ethers.Wallet(ethers.toBeHex(1_000n + BigInt(i), 32), ethers.provider),
  );
  for (const listener of listeners) {
    await networkHelpers.setBalance(listener.address, 10n ** 18n);
    await usdc.mint(listener.address, 1_000_000_000n);
    await usdc.connect(listener).approve(await vault.getAddress(), ethers.MaxUint256);
    await vault.connect(listener).deposit(1_000_000_000n);
  }

  const calldata: bigint[] = [];
  const settle = async (group: typeof listeners, amount: bigint): Promise<bigint> => {
    const vouchers: StreamVoucher[] = group.map((listener) => ({
      listener: listener.address,
      artist: artist.address,
      sessionId: ethers.id(`session-${listener.address}`),
      cumulativeAmount: amount,
      deadline,
    }));
    const signatures = await Promise.all(group.map((listener, i) => signVoucher(listener, domain, vouchers[i])));
    const tx = await vault.connect(relayer).settle(vouchers, packSignatures(signatures));
    const receipt = await tx.wait();
    if (receipt === null) throw new Error("settle: no receipt");
    calldata.push(calldataGas(tx.data));
    return receipt.gasUsed;
  };

  await settle(listeners.slice(0, 1), 1_000n);
  const single = listeners.slice(1, 2);
  const batch = listeners.slice(2);
  const gas1First = await settle(single, 1_234_567n);
  const gas100First = await settle(batch, 1_234_567n);
  const gas1Repeat = await settle(single, 2_345_678n);
  const gas100Repeat = await settle(batch, 2_345_678n);
  return {
    gas1First,
    gas100First,
    gas1Repeat,
    gas100Repeat,
    perVoucherFirst: (gas100First - gas1First) / 99n,
    perVoucherRepeat: (gas100Repeat - gas1Repeat) / 99n,
    calldataPerVoucher: (calldata[4] - calldata[3]) / 99n,
  };
}
