import { expect } from "chai";
import { network } from "hardhat";
import MusicDEXModule from "../deploy/modules/MusicDEX.js";
import { backedVirtualUsdc, buyOut, sellOut, split } from "./helpers/dex/curve.js";

const { ethers, networkHelpers, ignition } = await network.create();
const { loadFixture, time } = networkHelpers;

const USDC = 10n ** 6n;
const COIN = 10n ** 18n;
const MARKET_SUPPLY = 900_000_000n * COIN;
const DEFAULT_VIRTUAL = 30_000n * USDC;
const MAX_U128 = 2n ** 128n - 1n;
const FAR = 2n ** 64n;

async function deployFixture() {
  const [admin, treasury, opener, creator, alice, bob, stranger] = await ethers.getSigners();
  const usdc = await ethers.deployContract("MockUSDC");
  // The DEX never calls the distributor (holder fees are credited on the coin): any contract address will do.
  const distributor = await ethers.deployContract("MockUSDC");
  const { musicDEX } = await ignition.deploy(MusicDEXModule, {
    parameters: {
      MusicDEX: {
        usdc: await usdc.getAddress(),
        distributor: await distributor.getAddress(),
        treasury: treasury.address,
        admin: admin.address,
      },
    },
  });
  const dex = await ethers.getContractAt("MusicDEX", await musicDEX.getAddress());
  const dexAddress = await dex.getAddress();
  await dex.grantRole(await dex.MARKET_OPENER_ROLE(), opener.address);

  const coin = await ethers.deployContract("DexTestCoin", ["Coin A", "COINA"]);
  const coinAddress = await coin.getAddress();
  await coin.mint(dexAddress, MARKET_SUPPLY);
  await dex.connect(opener).openMarket(coinAddress, creator.address, MARKET_SUPPLY);

  for (const trader of [alice, bob]) {
    await usdc.mint(trader.address, 1_000_000n * USDC);
    await usdc.connect(trader).approve(dexAddress, ethers.MaxUint256);
    await (coin.connect(trader) as typeof coin).approve(dexAddress, ethers.MaxUint256);
  }
  return { dex, dexAddress, usdc, distributor, coin, coinAddress, admin, treasury, opener, creator, alice, bob, stranger };
}

async function effective(dex: Awaited<ReturnType<typeof deployFixture>>["dex"], coin: string) {
  const m = await dex.market(coin);
  return { x: m.virtualUsdc + m.usdcReserve, y: m.coinReserve, m };
}

describe("MusicDEX", function () {
  describe("deployment", function () {
    it("sets tokens, treasury, default virtual reserve and roles", async function () {
      const { dex, usdc, distributor, admin, treasury } = await loadFixture(deployFixture);
      expect(await dex.USDC()).to.equal(await usdc.getAddress());
      expect(await dex.DISTRIBUTOR()).to.equal(await distributor.getAddress());
      expect(await dex.treasury()).to.equal(treasury.address);
      expect(await dex.defaultVirtualUsdc()).to.equal(DEFAULT_VIRTUAL);
      expect(await dex.treasuryFees()).to.equal(0n);
      expect(await dex.MIN_VIRTUAL_USDC()).to.equal(100n * USDC);
      expect(await dex.MAX_VIRTUAL_USDC()).to.equal(1_000_000_000n * USDC);
      expect(await dex.hasRole(await dex.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await dex.hasRole(await dex.PAUSER_ROLE(), admin.address)).to.equal(true);
      expect(await dex.MARKET_OPENER_ROLE()).to.equal(ethers.id("MARKET_OPENER_ROLE"));
      expect(await dex.PAUSER_ROLE()).to.equal(ethers.id("PAUSER_ROLE"));
      expect(await dex.paused()).to.equal(false);
    });

    it("emits the initial treasury and virtual reserve", async function () {
      const { usdc, distributor, admin, treasury } = await loadFixture(deployFixture);
      const dex = await ethers.deployContract("MusicDEX", [usdc, distributor, treasury.address, admin.address]);
      const tx = dex.deploymentTransaction()!;
      await expect(tx).to.emit(dex, "TreasuryUpdated").withArgs(ethers.ZeroAddress, treasury.address);
      await expect(tx).to.emit(dex, "DefaultVirtualUsdcUpdated").withArgs(0n, DEFAULT_VIRTUAL);
    });

    it("rejects zero addresses", async function () {
      const { usdc, distributor, admin, treasury } = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("MusicDEX");
      const [u, d, t, a] = [await usdc.getAddress(), await distributor.getAddress(), treasury.address, admin.address];
      const z = ethers.ZeroAddress;
      for (const args of [[z, d, t, a], [u, z, t, a], [u, d, z, a], [u, d, t, z]]) {
        await expect(factory.deploy(...(args as [string, string, string, string]))).to.be.revertedWithCustomError(
          factory,
          "MusicDEXZeroAddress",
        );
      }
    });
  });

  describe("openMarket", function () {
    it("opens a market on the coins it holds, at the default virtual reserve", async function () {
      const { dex, coinAddress, creator } = await loadFixture(deployFixture);
      const m = await dex.market(coinAddress);
      expect(m.usdcReserve).to.equal(0n);
      expect(m.coinReserve).to.equal(MARKET_SUPPLY);
      expect(m.creator).to.equal(creator.address);
      expect(m.virtualUsdc).to.equal(DEFAULT_VIRTUAL);
      expect(m.creatorFees).to.equal(0n);
      expect(m.holderFees).to.equal(0n);
      expect(await dex.spotPrice(coinAddress)).to.equal((DEFAULT_VIRTUAL * COIN) / MARKET_SUPPLY);
    });

    it("emits MarketOpened", async function () {
      const { dex, dexAddress, opener, creator } = await loadFixture(deployFixture);
      const coin = await ethers.deployContract("DexTestCoin", ["B", "B"]);
      await coin.mint(dexAddress, 1_000n * COIN);
      await expect(dex.connect(opener).openMarket(await coin.getAddress(), creator.address, 1_000n * COIN))
        .to.emit(dex, "MarketOpened")
        .withArgs(await coin.getAddress(), creator.address, 1_000n * COIN, DEFAULT_VIRTUAL);
    });

    it("only MARKET_OPENER_ROLE", async function () {
      const { dex, coinAddress, creator, stranger } = await loadFixture(deployFixture);
      await expect(dex.connect(stranger).openMarket(coinAddress, creator.address, 1n))
        .to.be.revertedWithCustomError(dex, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await dex.MARKET_OPENER_ROLE());
    });

    it("reverts on an open market, zero addresses, bad amounts and coins not received", async function () {
      const { dex, dexAddress, coinAddress, opener, creator } = await loadFixture(deployFixture);
      const o = dex.connect(opener);
      await expect(o.openMarket(coinAddress, creator.address, 1n))
        .to.be.revertedWithCustomError(dex, "MusicDEXMarketAlreadyOpen")
        .withArgs(coinAddress);
      const coin = await ethers.deployContract("DexTestCoin", ["B", "B"]);
      const b = await coin.getAddress();
      await expect(o.openMarket(ethers.ZeroAddress, creator.address, 1n)).to.be.revertedWithCustomError(
        dex,
        "MusicDEXZeroAddress",
      );
      await expect(o.openMarket(b, ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(dex, "MusicDEXZeroAddress");
      await expect(o.openMarket(b, creator.address, 0n))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidCoinAmount")
        .withArgs(0n);
      await expect(o.openMarket(b, creator.address, MAX_U128 + 1n))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidCoinAmount")
        .withArgs(MAX_U128 + 1n);
      await coin.mint(dexAddress, 5n);
      await expect(o.openMarket(b, creator.address, 6n))
        .to.be.revertedWithCustomError(dex, "MusicDEXCoinsNotReceived")
        .withArgs(b, 5n, 6n);
    });
  });

  describe("buy", function () {
    it("gives exactly the quote, moves the tokens and emits Swapped with the reserves after", async function () {
      const { dex, dexAddress, usdc, coin, coinAddress, alice, bob } = await loadFixture(deployFixture);
      const usdcIn = 1_000n * USDC;
      const { x, y } = await effective(dex, coinAddress);
      const expected = buyOut(x, y, usdcIn);
      const [quoteCoins, quoteFee] = await dex.quoteBuy(coinAddress, usdcIn);
      expect(quoteCoins).to.equal(expected.coins);
      expect(quoteFee).to.equal(expected.fee);
      expect(await dex.connect(alice).buy.staticCall(coinAddress, usdcIn, 0n, bob.address, FAR)).to.equal(quoteCoins);

      const tx = dex.connect(alice).buy(coinAddress, usdcIn, quoteCoins, bob.address, FAR);
      await expect(tx)
        .to.emit(dex, "Swapped")
        .withArgs(
          coinAddress,
          alice.address,
          bob.address,
          true,
          usdcIn,
          quoteCoins,
          quoteFee,
          usdcIn - quoteFee,
          MARKET_SUPPLY - quoteCoins,
        );
      await expect(tx).to.changeTokenBalances(ethers, usdc, [alice, dexAddress], [-usdcIn, usdcIn]);
      await expect(tx).to.changeTokenBalances(ethers, coin, [bob, dexAddress], [quoteCoins, -quoteCoins]);
      // The holder fee is credited on the coin while the DEX still holds the buyer's coins.
      await expect(tx).to.emit(coin, "MarketFeesAccrued").withArgs(dexAddress, split(quoteFee).holders, MARKET_SUPPLY);

      const m = await dex.market(coinAddress);
      const parts = split(quoteFee);
      expect(m.usdcReserve).to.equal(usdcIn - quoteFee);
      expect(m.coinReserve).to.equal(MARKET_SUPPLY - quoteCoins);
      expect(m.creatorFees).to.equal(parts.creator);
      expect(m.holderFees).to.equal(parts.holders);
      expect(m.outstanding).to.equal(quoteCoins);
      expect(await dex.treasuryFees()).to.equal(parts.treasury);
    });

    it("raises the price", async function () {
      const { dex, coinAddress, alice } = await loadFixture(deployFixture);
      const before = await dex.spotPrice(coinAddress);
      await dex.connect(alice).buy(coinAddress, 10_000n * USDC, 0n, alice.address, FAR);
      const { x, y } = await effective(dex, coinAddress);
      expect(await dex.spotPrice(coinAddress)).to.equal((x * COIN) / y);
      expect(await dex.spotPrice(coinAddress)).to.be.greaterThan(before);
    });

    it("splits an odd fee so that the parts sum exactly to it, rounding the fee up", async function () {
      const { dex, coinAddress, alice } = await loadFixture(deployFixture);
      const usdcIn = 1_000_001n; // fee = ceil(25000.025) = 25001
      const [, fee] = await dex.quoteBuy(coinAddress, usdcIn);
      expect(fee).to.equal(25_001n);
      await dex.connect(alice).buy(coinAddress, usdcIn, 0n, alice.address, FAR);
      const m = await dex.market(coinAddress);
      expect(m.creatorFees).to.equal(10_000n);
      expect(await dex.treasuryFees()).to.equal(5_000n);
      expect(m.holderFees).to.equal(10_001n);
      expect(m.creatorFees + m.holderFees + (await dex.treasuryFees())).to.equal(fee);
    });

    it("reverts below minCoinsOut with the amounts", async function () {
      const { dex, coinAddress, alice } = await loadFixture(deployFixture);
      const [coins] = await dex.quoteBuy(coinAddress, 100n * USDC);
      await expect(dex.connect(alice).buy(coinAddress, 100n * USDC, coins + 1n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXSlippage")
        .withArgs(coins, coins + 1n);
    });

    it("reverts past the deadline", async function () {
      const { dex, coinAddress, alice } = await loadFixture(deployFixture);
      const deadline = BigInt(await time.latest());
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(dex.connect(alice).buy(coinAddress, USDC, 0n, alice.address, deadline))
        .to.be.revertedWithCustomError(dex, "MusicDEXDeadlinePassed")
        .withArgs(deadline, deadline + 1n);
    });

    it("reverts on bad amounts, zero output, zero recipient and unknown markets", async function () {
      const { dex, coinAddress, alice, stranger } = await loadFixture(deployFixture);
      const a = dex.connect(alice);
      await expect(a.buy(coinAddress, 0n, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(0n);
      await expect(a.buy(coinAddress, MAX_U128 + 1n, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(MAX_U128 + 1n);
      // 1 unit of USDC is all fee: nothing enters the curve.
      await expect(a.buy(coinAddress, 1n, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXZeroOutput")
        .withArgs(1n);
      expect(await dex.quoteBuy(coinAddress, 1n)).to.deep.equal([0n, 1n]);
      await expect(a.buy(coinAddress, USDC, 0n, ethers.ZeroAddress, FAR)).to.be.revertedWithCustomError(
        dex,
        "MusicDEXZeroAddress",
      );
      await expect(a.buy(stranger.address, USDC, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXMarketNotOpen")
        .withArgs(stranger.address);
    });
  });

  describe("sell", function () {
    it("gives exactly the quote, moves the tokens and emits Swapped with the reserves after", async function () {
      const { dex, dexAddress, usdc, coin, coinAddress, alice, bob } = await loadFixture(deployFixture);
      await dex.connect(alice).buy(coinAddress, 5_000n * USDC, 0n, alice.address, FAR);
      const feesBefore = await dex.market(coinAddress);
      const treasuryBefore = await dex.treasuryFees();
      const coinsIn = (await coin.balanceOf(alice.address)) / 3n;

      const { x, y, m } = await effective(dex, coinAddress);
      const expected = sellOut(x, y, coinsIn);
      const [quoteUsdc, quoteFee] = await dex.quoteSell(coinAddress, coinsIn);
      expect(quoteUsdc).to.equal(expected.usdc);
      expect(quoteFee).to.equal(expected.fee);
      expect(await dex.connect(alice).sell.staticCall(coinAddress, coinsIn, 0n, bob.address, FAR)).to.equal(quoteUsdc);

      const tx = dex.connect(alice).sell(coinAddress, coinsIn, quoteUsdc, bob.address, FAR);
      await expect(tx)
        .to.emit(dex, "Swapped")
        .withArgs(
          coinAddress,
          alice.address,
          bob.address,
          false,
          quoteUsdc,
          coinsIn,
          quoteFee,
          m.usdcReserve - expected.gross,
          m.coinReserve + coinsIn,
        );
      await expect(tx).to.changeTokenBalances(ethers, usdc, [bob, dexAddress], [quoteUsdc, -quoteUsdc]);
      await expect(tx).to.changeTokenBalances(ethers, coin, [alice, dexAddress], [-coinsIn, coinsIn]);
      // The holder fee is credited on the coin once the DEX holds the seller's coins.
      await expect(tx)
        .to.emit(coin, "MarketFeesAccrued")
        .withArgs(dexAddress, split(quoteFee).holders, m.coinReserve + coinsIn);

      const after = await dex.market(coinAddress);
      const parts = split(quoteFee);
      expect(after.creatorFees - feesBefore.creatorFees).to.equal(parts.creator);
      expect(after.holderFees - feesBefore.holderFees).to.equal(parts.holders);
      expect(after.outstanding).to.equal(m.outstanding - coinsIn);
      expect((await dex.treasuryFees()) - treasuryBefore).to.equal(parts.treasury);
    });

    it("a round trip returns less than was paid, and the DEX holds exactly reserves plus fees", async function () {
      const { dex, dexAddress, usdc, coin, coinAddress, alice } = await loadFixture(deployFixture);
      const before = await usdc.balanceOf(alice.address);
      await dex.connect(alice).buy(coinAddress, 20_000n * USDC, 0n, alice.address, FAR);
      await dex.connect(alice).sell(coinAddress, await coin.balanceOf(alice.address), 0n, alice.address, FAR);
      expect(await usdc.balanceOf(alice.address)).to.be.lessThan(before);
      const m = await dex.market(coinAddress);
      expect(m.coinReserve).to.equal(MARKET_SUPPLY);
      expect(await usdc.balanceOf(dexAddress)).to.equal(
        m.usdcReserve + m.creatorFees + m.holderFees + (await dex.treasuryFees()),
      );
    });

    it("reverts below minUsdcOut with the amounts", async function () {
      const { dex, coinAddress, alice } = await loadFixture(deployFixture);
      await dex.connect(alice).buy(coinAddress, 100n * USDC, 0n, alice.address, FAR);
      const [usdcOut] = await dex.quoteSell(coinAddress, COIN * 1_000n);
      await expect(dex.connect(alice).sell(coinAddress, COIN * 1_000n, usdcOut + 1n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXSlippage")
        .withArgs(usdcOut, usdcOut + 1n);
    });

    it("reverts past the deadline", async function () {
      const { dex, coinAddress, alice } = await loadFixture(deployFixture);
      const deadline = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(deadline + 5n);
      await expect(dex.connect(alice).sell(coinAddress, COIN, 0n, alice.address, deadline))
        .to.be.revertedWithCustomError(dex, "MusicDEXDeadlinePassed")
        .withArgs(deadline, deadline + 5n);
    });

    it("reverts on bad amounts, zero output, zero recipient and unknown markets", async function () {
      const { dex, coinAddress, alice, stranger } = await loadFixture(deployFixture);
      await dex.connect(alice).buy(coinAddress, 100n * USDC, 0n, alice.address, FAR);
      const a = dex.connect(alice);
      await expect(a.sell(coinAddress, 0n, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(0n);
      await expect(a.sell(coinAddress, MAX_U128 + 1n, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(MAX_U128 + 1n);
      // One coin unit is worth far less than one USDC unit.
      await expect(a.sell(coinAddress, 1n, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXZeroOutput")
        .withArgs(1n);
      expect(await dex.quoteSell(coinAddress, 1n)).to.deep.equal([0n, 0n]);
      await expect(a.sell(coinAddress, COIN, 0n, ethers.ZeroAddress, FAR)).to.be.revertedWithCustomError(
        dex,
        "MusicDEXZeroAddress",
      );
      await expect(a.sell(stranger.address, COIN, 0n, alice.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXMarketNotOpen")
        .withArgs(stranger.address);
    });

    it("reverts MusicDEXInvalidAmount for a sell of more coins than are outstanding", async function () {
      const { dex, dexAddress, coin, coinAddress, alice, stranger } = await loadFixture(deployFixture);
      // Coins minted outside the market (neither bought nor released by the creator), sold into a market nobody bought from.
      await coin.mint(stranger.address, 1_000n * COIN);
      await (coin.connect(stranger) as typeof coin).approve(dexAddress, ethers.MaxUint256);
      await expect(dex.quoteSell(coinAddress, 1_000n * COIN))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(1_000n * COIN);
      await expect(dex.connect(stranger).sell(coinAddress, 1_000n * COIN, 0n, stranger.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(1_000n * COIN);
      // Once coins were bought, up to that many can come back, and not one more.
      await dex.connect(alice).buy(coinAddress, 100n * USDC, 0n, alice.address, FAR);
      const bought = await coin.balanceOf(alice.address);
      expect((await dex.market(coinAddress)).outstanding).to.equal(bought);
      await expect(dex.quoteSell(coinAddress, bought + 1n))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(bought + 1n);
      await expect(dex.connect(stranger).sell(coinAddress, bought + 1n, 0n, stranger.address, FAR))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(bought + 1n);
      await expect(dex.connect(alice).sell(coinAddress, bought, 0n, alice.address, FAR)).to.emit(dex, "Swapped");
      expect((await dex.market(coinAddress)).outstanding).to.equal(0n);
    });
  });

  describe("creator releases (recordCreatorRelease, sellVirtualUsdc)", function () {
    /** Alice and bob bought; the creator's released coins will be approved to the DEX. */
    async function boughtFixture() {
      const f = await deployFixture();
      await f.dex.connect(f.alice).buy(f.coinAddress, 5_000n * USDC, 0n, f.alice.address, FAR);
      await f.dex.connect(f.bob).buy(f.coinAddress, 2_000n * USDC, 0n, f.bob.address, FAR);
      await (f.coin.connect(f.creator) as typeof f.coin).approve(f.dexAddress, ethers.MaxUint256);
      return f;
    }
    /** A creator allocation of 10 % of a billion coins, fully vested. */
    const RELEASED = 100_000_000n * COIN;

    it("records releases only from a coin with an open market, adding them to the outstanding coins", async function () {
      const { dex, dexAddress, coin, coinAddress, creator, stranger } = await loadFixture(boughtFixture);
      await expect(dex.connect(stranger).recordCreatorRelease(COIN))
        .to.be.revertedWithCustomError(dex, "MusicDEXMarketNotOpen")
        .withArgs(stranger.address);
      const unlisted = await ethers.deployContract("DexTestCoin", ["B", "B"]);
      await expect(unlisted.releaseToCreator(dexAddress, creator.address, COIN))
        .to.be.revertedWithCustomError(dex, "MusicDEXMarketNotOpen")
        .withArgs(await unlisted.getAddress());

      const before = await dex.market(coinAddress);
      expect(before.outstanding).to.equal(MARKET_SUPPLY - before.coinReserve);
      await expect(coin.releaseToCreator(dexAddress, creator.address, RELEASED))
        .to.emit(dex, "CreatorCoinsReleased")
        .withArgs(coinAddress, RELEASED, before.outstanding + RELEASED);
      await expect(coin.releaseToCreator(dexAddress, creator.address, 1n))
        .to.emit(dex, "CreatorCoinsReleased")
        .withArgs(coinAddress, 1n, before.outstanding + RELEASED + 1n);
      const after = await dex.market(coinAddress);
      expect(after.outstanding).to.equal(before.outstanding + RELEASED + 1n);
      expect([after.usdcReserve, after.coinReserve]).to.deep.equal([before.usdcReserve, before.coinReserve]);
    });

    it("prices buys on virtualUsdc and sells on sellVirtualUsdc = min(virtualUsdc, usdcReserve · coinReserve / outstanding)", async function () {
      const { dex, dexAddress, coin, coinAddress, creator } = await loadFixture(boughtFixture);
      // Buys alone keep the curve backed: sells price on the full virtual reserve.
      expect(await dex.sellVirtualUsdc(coinAddress)).to.equal(DEFAULT_VIRTUAL);
      const [buyBefore] = await dex.quoteBuy(coinAddress, 1_000n * USDC);
      const spotBefore = await dex.spotPrice(coinAddress);

      await coin.releaseToCreator(dexAddress, creator.address, RELEASED);
      const m = await dex.market(coinAddress);
      const backed = backedVirtualUsdc(m.virtualUsdc, m.usdcReserve, m.coinReserve, m.outstanding);
      expect(backed).to.equal((m.usdcReserve * m.coinReserve) / m.outstanding);
      expect(backed).to.be.lessThan(DEFAULT_VIRTUAL);
      expect(await dex.sellVirtualUsdc(coinAddress)).to.equal(backed);
      const coinsIn = 1_000_000n * COIN;
      const expected = sellOut(backed + m.usdcReserve, m.coinReserve, coinsIn);
      expect([...(await dex.quoteSell(coinAddress, coinsIn))]).to.deep.equal([expected.usdc, expected.fee]);
      // The buy side does not move.
      expect((await dex.quoteBuy(coinAddress, 1_000n * USDC))[0]).to.equal(buyBefore);
      expect(await dex.spotPrice(coinAddress)).to.equal(spotBefore);
    });

    for (const order of [
      ["creator", "alice", "bob"],
      ["alice", "creator", "bob"],
      ["bob", "alice", "creator"],
    ] as const) {
      it(`a creator releasing and selling vested coins leaves every buyer able to sell, priced on sellVirtualUsdc (${order.join(", ")})`, async function () {
        const f = await loadFixture(boughtFixture);
        const { dex, dexAddress, usdc, coin, coinAddress } = f;
        await coin.releaseToCreator(dexAddress, f.creator.address, RELEASED);
        for (const name of order) {
          const seller = f[name];
          const coinsIn = await coin.balanceOf(seller.address);
          const m = await dex.market(coinAddress);
          const backed = backedVirtualUsdc(m.virtualUsdc, m.usdcReserve, m.coinReserve, m.outstanding);
          expect(await dex.sellVirtualUsdc(coinAddress)).to.equal(backed);
          const expected = sellOut(backed + m.usdcReserve, m.coinReserve, coinsIn);
          expect(expected.usdc).to.be.greaterThan(0n);
          expect(expected.gross).to.be.lessThanOrEqual(m.usdcReserve);
          await expect(dex.connect(seller).sell(coinAddress, coinsIn, expected.usdc, seller.address, FAR))
            .to.emit(dex, "Swapped")
            .withArgs(
              coinAddress,
              seller.address,
              seller.address,
              false,
              expected.usdc,
              coinsIn,
              expected.fee,
              m.usdcReserve - expected.gross,
              m.coinReserve + coinsIn,
            );
        }
        // Every outstanding coin came back without the reserve going below zero, and the DEX holds what it owes.
        const m = await dex.market(coinAddress);
        expect(m.outstanding).to.equal(0n);
        expect(m.coinReserve).to.equal(MARKET_SUPPLY + RELEASED);
        expect(await usdc.balanceOf(dexAddress)).to.equal(
          m.usdcReserve + m.creatorFees + m.holderFees + (await dex.treasuryFees()),
        );
      });
    }
  });

  describe("views", function () {
    it("quotes, spot price and sellVirtualUsdc revert on unknown markets; market() is all zero", async function () {
      const { dex, stranger } = await loadFixture(deployFixture);
      for (const call of [
        dex.quoteBuy(stranger.address, USDC),
        dex.quoteSell(stranger.address, COIN),
        dex.spotPrice(stranger.address),
        dex.sellVirtualUsdc(stranger.address),
      ]) {
        await expect(call).to.be.revertedWithCustomError(dex, "MusicDEXMarketNotOpen").withArgs(stranger.address);
      }
      const m = await dex.market(stranger.address);
      expect([...m]).to.deep.equal([0n, 0n, ethers.ZeroAddress, 0n, 0n, 0n, 0n]);
      await expect(dex.quoteBuy(stranger.address, 0n))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(0n);
      await expect(dex.quoteSell(stranger.address, MAX_U128 + 1n))
        .to.be.revertedWithCustomError(dex, "MusicDEXInvalidAmount")
        .withArgs(MAX_U128 + 1n);
    });

    it("quotes equal swaps over a sequence of trades", async function () {
      const { dex, coin, coinAddress, alice, bob } = await loadFixture(deployFixture);
      const amounts = [123_456_789n, 7n * USDC, 50_000n * USDC, 999n, 3_333n * USDC];
      for (const [i, usdcIn] of amounts.entries()) {
        const trader = i % 2 === 0 ? alice : bob;
        const [q] = await dex.quoteBuy(coinAddress, usdcIn);
        const before = await coin.balanceOf(trader.address);
        await dex.connect(trader).buy(coinAddress, usdcIn, q, trader.address, FAR);
        expect((await coin.balanceOf(trader.address)) - before).to.equal(q);

        const coinsIn = (await coin.balanceOf(trader.address)) / 4n + 1n;
        const [qs] = await dex.quoteSell(coinAddress, coinsIn);
        await expect(dex.connect(trader).sell(coinAddress, coinsIn, qs, trader.address, FAR))
          .to.emit(dex, "Swapped")
          .withArgs(coinAddress, trader.address, trader.address, false, qs, coinsIn, (v: bigint) => v > 0n, (v: bigint) => v > 0n, (v: bigint) => v > 0n);
      }
    });
  });

  describe("fees", function () {
    async function tradedFixture() {
      const f = await deployFixture();
      await f.dex.connect(f.alice).buy(f.coinAddress, 10_000n * USDC, 0n, f.alice.address, FAR);
      await f.dex.connect(f.alice).sell(f.coinAddress, (await f.coin.balanceOf(f.alice.address)) / 2n, 0n, f.alice.address, FAR);
      return f;
    }

    it("creator claims creator fees", async function () {
      const { dex, dexAddress, usdc, coinAddress, creator, bob } = await loadFixture(tradedFixture);
      const amount = (await dex.market(coinAddress)).creatorFees;
      expect(amount).to.be.greaterThan(0n);
      expect(await dex.connect(creator).claimCreatorFees.staticCall(coinAddress, bob.address)).to.equal(amount);
      const tx = dex.connect(creator).claimCreatorFees(coinAddress, bob.address);
      await expect(tx).to.emit(dex, "CreatorFeesClaimed").withArgs(coinAddress, creator.address, bob.address, amount);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [bob, dexAddress], [amount, -amount]);
      expect((await dex.market(coinAddress)).creatorFees).to.equal(0n);
      await expect(dex.connect(creator).claimCreatorFees(coinAddress, bob.address))
        .to.be.revertedWithCustomError(dex, "MusicDEXNoFeesToClaim")
        .withArgs(coinAddress);
    });

    it("only the creator claims creator fees, to a nonzero address", async function () {
      const { dex, coinAddress, creator, stranger } = await loadFixture(tradedFixture);
      await expect(dex.connect(stranger).claimCreatorFees(coinAddress, stranger.address))
        .to.be.revertedWithCustomError(dex, "MusicDEXNotCreator")
        .withArgs(stranger.address, creator.address);
      await expect(dex.connect(creator).claimCreatorFees(coinAddress, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        dex,
        "MusicDEXZeroAddress",
      );
    });

    it("treasury claims treasury fees; only the treasury", async function () {
      const { dex, dexAddress, usdc, treasury, stranger } = await loadFixture(tradedFixture);
      const amount = await dex.treasuryFees();
      expect(amount).to.be.greaterThan(0n);
      await expect(dex.connect(stranger).claimTreasuryFees(stranger.address))
        .to.be.revertedWithCustomError(dex, "MusicDEXNotTreasury")
        .withArgs(stranger.address, treasury.address);
      await expect(dex.connect(treasury).claimTreasuryFees(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        dex,
        "MusicDEXZeroAddress",
      );
      const tx = dex.connect(treasury).claimTreasuryFees(stranger.address);
      await expect(tx).to.emit(dex, "TreasuryFeesClaimed").withArgs(treasury.address, stranger.address, amount);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [stranger, dexAddress], [amount, -amount]);
      expect(await dex.treasuryFees()).to.equal(0n);
      await expect(dex.connect(treasury).claimTreasuryFees(treasury.address))
        .to.be.revertedWithCustomError(dex, "MusicDEXNoFeesToClaim")
        .withArgs(ethers.ZeroAddress);
    });

    it("credits every trade's holder fee on the coin, and holds its USDC for the coin", async function () {
      const { dex, coin, coinAddress } = await loadFixture(tradedFixture);
      const held = (await dex.market(coinAddress)).holderFees;
      expect(held).to.be.greaterThan(0n);
      expect(await coin.marketFeesAccrued()).to.equal(held);
    });

    it("anyone releases a coin's holder fees to the coin, without crediting them again", async function () {
      const { dex, dexAddress, usdc, coin, coinAddress, stranger } = await loadFixture(tradedFixture);
      const amount = (await dex.market(coinAddress)).holderFees;
      expect(await dex.connect(stranger).releaseHolderFees.staticCall(coinAddress)).to.equal(amount);
      const tx = dex.connect(stranger).releaseHolderFees(coinAddress);
      await expect(tx).to.emit(dex, "HolderFeesReleased").withArgs(coinAddress, stranger.address, amount);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [coinAddress, dexAddress], [amount, -amount]);
      await expect(tx).to.not.emit(coin, "MarketFeesAccrued");
      expect((await dex.market(coinAddress)).holderFees).to.equal(0n);
      await expect(dex.releaseHolderFees(coinAddress))
        .to.be.revertedWithCustomError(dex, "MusicDEXNoFeesToClaim")
        .withArgs(coinAddress);
      await expect(dex.releaseHolderFees(stranger.address))
        .to.be.revertedWithCustomError(dex, "MusicDEXNoFeesToClaim")
        .withArgs(stranger.address);
    });

    it("every fee flow together empties the DEX down to the reserves", async function () {
      const { dex, dexAddress, usdc, coinAddress, creator, treasury } = await loadFixture(tradedFixture);
      await dex.connect(creator).claimCreatorFees(coinAddress, creator.address);
      await dex.connect(treasury).claimTreasuryFees(treasury.address);
      await dex.releaseHolderFees(coinAddress);
      expect(await usdc.balanceOf(dexAddress)).to.equal((await dex.market(coinAddress)).usdcReserve);
    });
  });

  describe("governance", function () {
    it("admin sets the treasury, who then claims the fees already accrued", async function () {
      const { dex, admin, treasury, stranger, alice, coinAddress } = await loadFixture(deployFixture);
      await dex.connect(alice).buy(coinAddress, 1_000n * USDC, 0n, alice.address, FAR);
      await expect(dex.connect(admin).setTreasury(stranger.address))
        .to.emit(dex, "TreasuryUpdated")
        .withArgs(treasury.address, stranger.address);
      expect(await dex.treasury()).to.equal(stranger.address);
      await expect(dex.connect(treasury).claimTreasuryFees(treasury.address))
        .to.be.revertedWithCustomError(dex, "MusicDEXNotTreasury")
        .withArgs(treasury.address, stranger.address);
      await expect(dex.connect(stranger).claimTreasuryFees(stranger.address)).to.emit(dex, "TreasuryFeesClaimed");
      await expect(dex.connect(admin).setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        dex,
        "MusicDEXZeroAddress",
      );
      await expect(dex.connect(stranger).setTreasury(stranger.address))
        .to.be.revertedWithCustomError(dex, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await dex.DEFAULT_ADMIN_ROLE());
    });

    it("admin sets the default virtual reserve for future markets only, within bounds", async function () {
      const { dex, dexAddress, admin, opener, creator, stranger, coinAddress } = await loadFixture(deployFixture);
      const next = 50_000n * USDC;
      await expect(dex.connect(admin).setDefaultVirtualUsdc(next))
        .to.emit(dex, "DefaultVirtualUsdcUpdated")
        .withArgs(DEFAULT_VIRTUAL, next);
      expect(await dex.defaultVirtualUsdc()).to.equal(next);
      expect((await dex.market(coinAddress)).virtualUsdc).to.equal(DEFAULT_VIRTUAL);
      const coin = await ethers.deployContract("DexTestCoin", ["B", "B"]);
      await coin.mint(dexAddress, COIN);
      await expect(dex.connect(opener).openMarket(await coin.getAddress(), creator.address, COIN))
        .to.emit(dex, "MarketOpened")
        .withArgs(await coin.getAddress(), creator.address, COIN, next);

      for (const bad of [100n * USDC - 1n, 1_000_000_000n * USDC + 1n]) {
        await expect(dex.connect(admin).setDefaultVirtualUsdc(bad))
          .to.be.revertedWithCustomError(dex, "MusicDEXInvalidVirtualUsdc")
          .withArgs(bad);
      }
      await dex.connect(admin).setDefaultVirtualUsdc(100n * USDC);
      await dex.connect(admin).setDefaultVirtualUsdc(1_000_000_000n * USDC);
      await expect(dex.connect(stranger).setDefaultVirtualUsdc(next))
        .to.be.revertedWithCustomError(dex, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await dex.DEFAULT_ADMIN_ROLE());
    });

    it("pauser stops and resumes trading; fee claims keep working while paused", async function () {
      const { dex, admin, stranger, alice, creator, coinAddress } = await loadFixture(deployFixture);
      await dex.connect(alice).buy(coinAddress, 1_000n * USDC, 0n, alice.address, FAR);
      await expect(dex.connect(stranger).pause())
        .to.be.revertedWithCustomError(dex, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await dex.PAUSER_ROLE());
      await expect(dex.connect(admin).pause()).to.emit(dex, "Paused").withArgs(admin.address);
      await expect(dex.connect(alice).buy(coinAddress, USDC, 0n, alice.address, FAR)).to.be.revertedWithCustomError(
        dex,
        "EnforcedPause",
      );
      await expect(dex.connect(alice).sell(coinAddress, COIN, 0n, alice.address, FAR)).to.be.revertedWithCustomError(
        dex,
        "EnforcedPause",
      );
      await expect(dex.connect(creator).claimCreatorFees(coinAddress, creator.address)).to.emit(dex, "CreatorFeesClaimed");
      await expect(dex.releaseHolderFees(coinAddress)).to.emit(dex, "HolderFeesReleased");
      await expect(dex.connect(stranger).unpause())
        .to.be.revertedWithCustomError(dex, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await dex.PAUSER_ROLE());
      await expect(dex.connect(admin).unpause()).to.emit(dex, "Unpaused").withArgs(admin.address);
      await expect(dex.connect(alice).sell(coinAddress, COIN, 0n, alice.address, FAR)).to.emit(dex, "Swapped");
    });
  });

  describe("reentrancy", function () {
    it("a coin calling back into the DEX during a transfer is stopped", async function () {
      const { dex, dexAddress, opener, creator, alice } = await loadFixture(deployFixture);
      const coin = await ethers.deployContract("ReentrantDexCoin");
      const c = await coin.getAddress();
      await coin.mint(dexAddress, MARKET_SUPPLY);
      await dex.connect(opener).openMarket(c, creator.address, MARKET_SUPPLY);
      await coin.arm(dexAddress);
      await expect(dex.connect(alice).buy(c, 1_000n * USDC, 0n, alice.address, FAR)).to.be.revertedWithCustomError(
        dex,
        "ReentrancyGuardReentrantCall",
      );
    });
  });
});
