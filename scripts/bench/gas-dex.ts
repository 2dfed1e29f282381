/**
 * MusicDEX buy/sell gas, as receipt gasUsed (21,000 base included), for a trader who already holds the
 * coin and USDC and has approved the DEX (the Uniswap gas-snapshot convention). Run:
 *   npx hardhat run scripts/bench/gas-dex.ts
 * The coin here is a plain ERC-20; the real CreatorCoin's transfer costs about 6k more, so the budget
 * checked for the plain coin is 100,000 - 6,000.
 */
import { network } from "hardhat";
import MusicDEXModule from "../../deploy/modules/MusicDEX.js";

const TARGET = 100_000n;
const REAL_COIN_OVERHEAD = 6_000n;
const USDC = 10n ** 6n;
const COIN = 10n ** 18n;
const FAR = 2n ** 64n;

const { ethers, ignition } = await network.create();
const [admin, alice, bob] = await ethers.getSigners();

const usdc = await ethers.deployContract("MockUSDC");
const distributor = await ethers.deployContract("RecordingDistributor", [await usdc.getAddress()]);
const { musicDEX } = await ignition.deploy(MusicDEXModule, {
  parameters: { MusicDEX: { usdc: await usdc.getAddress(), distributor: await distributor.getAddress() } },
});
const dex = await ethers.getContractAt("MusicDEX", await musicDEX.getAddress());
const dexAddress = await dex.getAddress();
await dex.grantRole(await dex.MARKET_OPENER_ROLE(), admin.address);
const coin = await ethers.deployContract("DexTestCoin", ["Coin", "C"]);
const coinAddress = await coin.getAddress();
await coin.mint(dexAddress, 900_000_000n * COIN);
await dex.openMarket(coinAddress, admin.address, 900_000_000n * COIN);

for (const trader of [alice, bob]) {
  await usdc.mint(trader.address, 1_000_000n * USDC);
  await usdc.connect(trader).approve(dexAddress, ethers.MaxUint256);
  await (coin.connect(trader) as typeof coin).approve(dexAddress, ethers.MaxUint256);
}
// Warm up: every balance, reserve and fee slot nonzero before measuring.
await dex.connect(bob).buy(coinAddress, 1_000n * USDC, 0n, bob.address, FAR);
await dex.connect(alice).buy(coinAddress, 1_000n * USDC, 0n, alice.address, FAR);

async function gasOf(tx: Promise<{ wait: () => Promise<{ gasUsed: bigint } | null> }>) {
  return (await (await tx).wait())!.gasUsed;
}

const results: Record<string, bigint> = {};
results["buy (max approval)"] = await gasOf(dex.connect(alice).buy(coinAddress, 100n * USDC, 0n, alice.address, FAR));
results["sell (max approval)"] = await gasOf(dex.connect(alice).sell(coinAddress, 1_000n * COIN, 0n, alice.address, FAR));
// Finite allowances: the token also rewrites the allowance slot on every pull.
await usdc.connect(alice).approve(dexAddress, 1_000_000n * USDC);
await (coin.connect(alice) as typeof coin).approve(dexAddress, 1_000_000_000n * COIN);
results["buy (finite approval)"] = await gasOf(dex.connect(alice).buy(coinAddress, 100n * USDC, 0n, alice.address, FAR));
results["sell (finite approval)"] = await gasOf(
  dex.connect(alice).sell(coinAddress, 1_000n * COIN, 0n, alice.address, FAR),
);

let over = false;
for (const [name, gas] of Object.entries(results)) {
  const estimate = gas + REAL_COIN_OVERHEAD;
  over ||= estimate > TARGET;
  console.log(`MusicDEX ${name.padEnd(24)} ${gas} gas (≈ ${estimate} with the real coin; target ${TARGET})`);
}
if (over) {
  console.error("MusicDEX gas over target");
  process.exitCode = 1;
}
