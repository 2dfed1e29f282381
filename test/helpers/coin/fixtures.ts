import { network } from "hardhat";
import CreatorEconomyModule from "../../../deploy/modules/CreatorEconomy.js";

/** What `network.create()` returns: ethers, networkHelpers, ignition bound to one simulated chain. */
export type Connection = Awaited<ReturnType<typeof network.create>>;

export const LAUNCH_THRESHOLD = 50_000n;
export const COIN_SUPPLY = 1_000_000_000n * 10n ** 18n;
export const CREATOR_ALLOCATION = COIN_SUPPLY / 10n;
export const MARKET_AMOUNT = COIN_SUPPLY - CREATOR_ALLOCATION;
export const VESTING_DURATION = 365n * 24n * 60n * 60n;
export const USDC = (dollars: number | bigint) => BigInt(dollars) * 10n ** 6n;
export const COINS = (coins: number | bigint) => BigInt(coins) * 10n ** 18n;

/** Stand-ins for MusicNFT and MusicDEX, MockUSDC, and the CreatorEconomy Ignition module on top. */
export async function deployCreatorEconomy({ ethers, ignition }: Connection) {
  const [admin, creator, alice, bob, carol, relayer, verifier, other] = await ethers.getSigners();
  const usdc = await ethers.deployContract("MockUSDC");
  const plays = await ethers.deployContract("CreatorPlaysStub");
  const dex = await ethers.deployContract("MarketOpenerStub", [await usdc.getAddress()]);
  const deployed = await ignition.deploy(CreatorEconomyModule, {
    parameters: {
      CreatorEconomy: {
        usdc: await usdc.getAddress(),
        musicNFT: await plays.getAddress(),
        dex: await dex.getAddress(),
      },
    },
  });
  const distributor = await ethers.getContractAt("RevenueDistributor", await deployed.revenueDistributor.getAddress());
  const factory = await ethers.getContractAt("CreatorCoinFactory", await deployed.creatorCoinFactory.getAddress());
  const implementation = await ethers.getContractAt(
    "CreatorCoin",
    await deployed.creatorCoinImplementation.getAddress(),
  );
  return { admin, creator, alice, bob, carol, relayer, verifier, other, usdc, plays, dex, distributor, factory, implementation };
}

/** deployCreatorEconomy plus one coin launched by `creator` (name "Alice Coin", symbol "ALC"). */
export async function deployWithCoin(connection: Connection) {
  const base = await deployCreatorEconomy(connection);
  await base.plays.setCreatorPlays(base.creator.address, LAUNCH_THRESHOLD);
  await base.factory.connect(base.creator).launchCoin("Alice Coin", "ALC");
  const coin = await connection.ethers.getContractAt("CreatorCoin", await base.factory.coinOf(base.creator.address));
  const launchedAt = await coin.launchedAt();
  return { ...base, coin, launchedAt };
}
