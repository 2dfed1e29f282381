/**
 * Receipt gasUsed (including the 21,000 base) of the creator-economy hot paths, on the Hardhat network:
 * `npx hardhat run scripts/bench/gas-coin.ts`. Targets: coin.depositRevenue ≤ 50k, coin.claimRevenue ≤ 50k,
 * coin.transfer ≤ 60k, launchCoin ≤ 350k with a realistic DEX. The distributor's router paths have no
 * target (MusicDEX's fee share and multi-coin claims use them); they are printed for reference.
 */
import { network } from "hardhat";
import { MaxUint256 } from "ethers";
import { COINS, USDC, LAUNCH_THRESHOLD, deployWithCoin } from "../../test/helpers/coin/fixtures.js";

const connection = await network.create();
const { ethers } = connection;
const f = await deployWithCoin(connection);
const { coin, dex, usdc, distributor, factory, plays, admin, alice, bob, carol } = f;
const coinAddress = await coin.getAddress();
const gas = async (tx: Promise<{ wait: () => Promise<{ gasUsed: bigint } | null> }>) =>
  (await (await tx).wait())!.gasUsed;

// Holders with coins and USDC, a depositor with USDC and max approval to the coin and to the distributor,
// and the coin already holding USDC.
await dex.sendCoins(coinAddress, alice.address, COINS(1_000_000));
await dex.sendCoins(coinAddress, bob.address, COINS(500_000));
await usdc.mint(admin.address, USDC(1_000_000));
await usdc.mint(alice.address, USDC(1));
await usdc.mint(bob.address, USDC(1));
await usdc.connect(admin).approve(coinAddress, MaxUint256);
await usdc.connect(admin).approve(await distributor.getAddress(), MaxUint256);
await coin.connect(admin).depositRevenue(USDC(100));
await coin.connect(alice).transfer(bob.address, COINS(1)); // both settled once
await coin.connect(admin).depositRevenue(USDC(100)); // a deposit since their last settlement

const results: Record<string, bigint> = {};
results["coin.transfer (holders, deposit since last settlement)"] = await gas(
  coin.connect(alice).transfer(bob.address, COINS(10)),
);
results["coin.transfer (same holders, no deposit since)"] = await gas(
  coin.connect(alice).transfer(bob.address, COINS(10)),
);
results["coin.transfer (to a new holder)"] = await gas(coin.connect(alice).transfer(carol.address, COINS(10)));
results["dex buy (excluded DEX -> holder, via stand-in)"] = await gas(
  dex.sendCoins(coinAddress, alice.address, COINS(10)),
);
results["coin.depositRevenue (max approval)"] = await gas(coin.connect(admin).depositRevenue(USDC(50)));
results["coin.claimRevenue"] = await gas(coin.connect(alice).claimRevenue());
results["distributor.deposit (router, max approval)"] = await gas(
  distributor.connect(admin).deposit(coinAddress, USDC(50)),
);
results["distributor.claim (router, one coin)"] = await gas(distributor.connect(bob).claim([coinAddress]));

// launchCoin with the stand-in DEX (openMarket writes 2 fresh slots) and without its cost.
const [, , , , , , , , launcher] = await ethers.getSigners();
await plays.setCreatorPlays(launcher.address, LAUNCH_THRESHOLD);
const launchTx = await factory.connect(launcher).launchCoin("Launcher Coin", "LAUNCH");
const launchReceipt = (await launchTx.wait())!;
results["factory.launchCoin (stand-in DEX)"] = launchReceipt.gasUsed;

// What the stand-in's openMarket (2 fresh slots + an event, like the real DEX) costs inside that launch:
// the same call made on its own minus its 21,000 base and calldata, plus the cold-account access (2,600)
// the launch pays to reach the DEX.
const openTx = await dex.openMarket.populateTransaction(carol.address, carol.address, COINS(1));
const calldataGas = [...ethers.getBytes(openTx.data)].reduce((sum, b) => sum + (b === 0 ? 4n : 16n), 0n);
const openAlone = await dex.openMarket.estimateGas(carol.address, carol.address, COINS(1));
const standInCost = openAlone - 21_000n - calldataGas + 2_600n;
results["  of which the stand-in's openMarket (derived)"] = standInCost;
results["  launchCoin without any DEX work (derived)"] = launchReceipt.gasUsed - standInCost;

for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(58)} ${value.toLocaleString("en-US")}`);
