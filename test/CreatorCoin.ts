import { expect } from "chai";
import { network } from "hardhat";
import { MaxUint256, ZeroAddress, parseEther } from "ethers";
import {
  COINS,
  COIN_SUPPLY,
  CREATOR_ALLOCATION,
  LAUNCH_THRESHOLD,
  MARKET_AMOUNT,
  USDC,
  VESTING_DURATION,
  deployWithCoin,
} from "./helpers/coin/fixtures.js";
import { signPermit } from "./helpers/permit.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const fixture = () => deployWithCoin(connection);

/** An account that can send transactions as `address` (a contract, here). */
async function impersonate(address: string) {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, parseEther("1"));
  return ethers.getSigner(address);
}

describe("CreatorCoin", function () {
  describe("launch state", function () {
    it("has the clone's name and symbol, 18 decimals and the fixed supply split between DEX and escrow", async function () {
      const { coin, dex, creator, launchedAt } = await loadFixture(fixture);
      expect(await coin.name()).to.equal("Alice Coin");
      expect(await coin.symbol()).to.equal("ALC");
      expect(await coin.decimals()).to.equal(18n);
      expect(await coin.totalSupply()).to.equal(COIN_SUPPLY);
      expect(await coin.balanceOf(await dex.getAddress())).to.equal(MARKET_AMOUNT);
      expect(await coin.balanceOf(await coin.getAddress())).to.equal(CREATOR_ALLOCATION);
      expect(await coin.creator()).to.equal(creator.address);
      expect(await coin.launchedAt()).to.equal(BigInt(await time.latest()));
      expect(launchedAt).to.be.greaterThan(0n);
      expect(await coin.vestingDuration()).to.equal(VESTING_DURATION);
      expect(await coin.creatorAllocation()).to.equal(CREATOR_ALLOCATION);
    });

    it("mints with Transfer events from the zero address in the launch transaction", async function () {
      const { factory, plays, dex, other } = await loadFixture(fixture);
      await plays.setCreatorPlays(other.address, LAUNCH_THRESHOLD);
      const predicted = await factory.predictCoinAddress(other.address);
      const coin = await ethers.getContractAt("CreatorCoin", predicted);
      const tx = factory.connect(other).launchCoin("Other", "OTH");
      await expect(tx).to.emit(coin, "Transfer").withArgs(ZeroAddress, await dex.getAddress(), MARKET_AMOUNT);
      await expect(tx).to.emit(coin, "Transfer").withArgs(ZeroAddress, predicted, CREATOR_ALLOCATION);
    });

    it("excludes the DEX and the escrow from revenue, so nothing is eligible at launch", async function () {
      const { coin, dex, alice } = await loadFixture(fixture);
      expect(await coin.isRevenueExcluded(await dex.getAddress())).to.equal(true);
      expect(await coin.isRevenueExcluded(await coin.getAddress())).to.equal(true);
      expect(await coin.isRevenueExcluded(alice.address)).to.equal(false);
      expect(await coin.eligibleSupply()).to.equal(0n);
      expect(await coin.revenuePerToken()).to.equal(0n);
      expect(await coin.undistributedRevenue()).to.equal(0n);
      expect(await coin.MIN_ELIGIBLE_SUPPLY()).to.equal(COINS(1));
    });

    it("shares FACTORY, DEX, DISTRIBUTOR and USDC with its implementation", async function () {
      const { coin, implementation, factory, dex, distributor, usdc } = await loadFixture(fixture);
      for (const c of [coin, implementation]) {
        expect(await c.FACTORY()).to.equal(await factory.getAddress());
        expect(await c.DEX()).to.equal(await dex.getAddress());
        expect(await c.DISTRIBUTOR()).to.equal(await distributor.getAddress());
        expect(await c.USDC()).to.equal(await usdc.getAddress());
      }
    });
  });

  describe("initialize", function () {
    it("reverts for anyone but the factory", async function () {
      const { coin, other } = await loadFixture(fixture);
      await expect(coin.connect(other).initialize("X", "X", other.address, 1n, 1n, 1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
    });

    it("reverts when called a second time", async function () {
      const { coin, factory, other } = await loadFixture(fixture);
      const asFactory = await impersonate(await factory.getAddress());
      await expect(
        coin.connect(asFactory).initialize("X", "X", other.address, 1n, 1n, 1n),
      ).to.be.revertedWithCustomError(coin, "CreatorCoinAlreadyInitialized");
    });

    it("reverts when the supply does not fit 96 bits", async function () {
      const { implementation, factory, other } = await loadFixture(fixture);
      const asFactory = await impersonate(await factory.getAddress());
      const tooMuch = 2n ** 96n;
      await expect(implementation.connect(asFactory).initialize("X", "X", other.address, tooMuch, 0n, 1n))
        .to.be.revertedWithCustomError(implementation, "CreatorCoinValueOverflow")
        .withArgs(tooMuch);
    });
  });

  describe("ERC-20", function () {
    it("transfers and transfersFrom with allowance", async function () {
      const { coin, dex, alice, bob, carol } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(100));
      await expect(coin.connect(alice).transfer(bob.address, COINS(40)))
        .to.emit(coin, "Transfer")
        .withArgs(alice.address, bob.address, COINS(40));
      await coin.connect(bob).approve(carol.address, COINS(10));
      await coin.connect(carol).transferFrom(bob.address, carol.address, COINS(10));
      expect(await coin.balanceOf(alice.address)).to.equal(COINS(60));
      expect(await coin.balanceOf(bob.address)).to.equal(COINS(30));
      expect(await coin.balanceOf(carol.address)).to.equal(COINS(10));
      expect(await coin.allowance(bob.address, carol.address)).to.equal(0n);
    });

    it("reverts a transfer above the balance", async function () {
      const { coin, dex, alice, bob } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(1));
      await expect(coin.connect(alice).transfer(bob.address, COINS(2)))
        .to.be.revertedWithCustomError(coin, "ERC20InsufficientBalance")
        .withArgs(alice.address, COINS(1), COINS(2));
    });

    it("reverts a transfer to the coin itself (it would be lost in the escrow)", async function () {
      const { coin, dex, alice } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(1));
      await expect(coin.connect(alice).transfer(await coin.getAddress(), 1n))
        .to.be.revertedWithCustomError(coin, "ERC20InvalidReceiver")
        .withArgs(await coin.getAddress());
    });

    it("reverts a transfer to the factory or the distributor (they could never claim its revenue)", async function () {
      const { coin, dex, factory, distributor, alice, bob } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(2));
      await coin.connect(alice).approve(bob.address, COINS(2));
      for (const receiver of [await factory.getAddress(), await distributor.getAddress()]) {
        await expect(coin.connect(alice).transfer(receiver, 1n))
          .to.be.revertedWithCustomError(coin, "ERC20InvalidReceiver")
          .withArgs(receiver);
        await expect(coin.connect(bob).transferFrom(alice.address, receiver, 1n))
          .to.be.revertedWithCustomError(coin, "ERC20InvalidReceiver")
          .withArgs(receiver);
      }
      expect(await coin.balanceOf(alice.address)).to.equal(COINS(2));
    });

    it("keeps balances on a transfer to oneself", async function () {
      const { coin, dex, alice } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(5));
      await expect(coin.connect(alice).transfer(alice.address, COINS(5)))
        .to.emit(coin, "Transfer")
        .withArgs(alice.address, alice.address, COINS(5));
      expect(await coin.balanceOf(alice.address)).to.equal(COINS(5));
      await expect(coin.connect(alice).transfer(alice.address, COINS(6))).to.be.revertedWithCustomError(
        coin,
        "ERC20InsufficientBalance",
      );
    });
  });

  describe("permit (EIP-2612 on a clone)", function () {
    async function permitFromAlice(fx: Awaited<ReturnType<typeof fixture>>, coinAddress: string, value: bigint, deadline: bigint) {
      const { alice, bob } = fx;
      const coin = await ethers.getContractAt("CreatorCoin", coinAddress);
      const { chainId } = await ethers.provider.getNetwork();
      const nonce = await coin.nonces(alice.address);
      return signPermit(alice, { name: "CreatorCoin", token: coinAddress, chainId, nonce, spender: bob.address, value, deadline });
    }

    it("answers EIP-5267 with the domain name CreatorCoin and the clone as verifying contract", async function () {
      const { coin } = await loadFixture(fixture);
      const domain = await coin.eip712Domain();
      expect(domain.name).to.equal("CreatorCoin");
      expect(domain.version).to.equal("1");
      expect(domain.verifyingContract).to.equal(await coin.getAddress());
    });

    it("sets an allowance from a real signature and bumps the nonce", async function () {
      const fx = await loadFixture(fixture);
      const { coin, alice, bob } = fx;
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await permitFromAlice(fx, await coin.getAddress(), COINS(7), deadline);
      await expect(coin.permit(alice.address, bob.address, COINS(7), deadline, sig.v, sig.r, sig.s))
        .to.emit(coin, "Approval")
        .withArgs(alice.address, bob.address, COINS(7));
      expect(await coin.allowance(alice.address, bob.address)).to.equal(COINS(7));
      expect(await coin.nonces(alice.address)).to.equal(1n);
    });

    it("rejects a permit signed for another coin (no replay across clones)", async function () {
      const fx = await loadFixture(fixture);
      const { coin, factory, plays, other, alice, bob } = fx;
      await plays.setCreatorPlays(other.address, LAUNCH_THRESHOLD);
      await factory.connect(other).launchCoin("Other", "OTH");
      const otherCoin = await factory.coinOf(other.address);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await permitFromAlice(fx, otherCoin, COINS(7), deadline);
      await expect(coin.permit(alice.address, bob.address, COINS(7), deadline, sig.v, sig.r, sig.s)).to.be.revertedWithCustomError(
        coin,
        "ERC2612InvalidSigner",
      );
    });
  });

  describe("vesting", function () {
    it("vests linearly from launch and completes at the end", async function () {
      const { coin, launchedAt } = await loadFixture(fixture);
      expect(await coin.vestedAmount(launchedAt)).to.equal(0n);
      expect(await coin.vestedAmount(launchedAt - 1n)).to.equal(0n);
      expect(await coin.vestedAmount(launchedAt + VESTING_DURATION / 4n)).to.equal(CREATOR_ALLOCATION / 4n);
      expect(await coin.vestedAmount(launchedAt + VESTING_DURATION)).to.equal(CREATOR_ALLOCATION);
      expect(await coin.vestedAmount(launchedAt + 10n * VESTING_DURATION)).to.equal(CREATOR_ALLOCATION);
    });

    it("reverts a release when nothing more has vested", async function () {
      const { coin, other, launchedAt } = await loadFixture(fixture);
      await time.increaseTo(launchedAt + VESTING_DURATION);
      await coin.releaseVested();
      await expect(coin.connect(other).releaseVested()).to.be.revertedWithCustomError(
        coin,
        "CreatorCoinNothingToRelease",
      );
    });

    it("lets anyone release what vested to the creator, then the rest after the duration", async function () {
      const { coin, creator, other, launchedAt } = await loadFixture(fixture);
      const half = launchedAt + VESTING_DURATION / 2n;
      await time.setNextBlockTimestamp(half);
      const expected = CREATOR_ALLOCATION / 2n;
      const tx = coin.connect(other).releaseVested();
      await expect(tx).to.emit(coin, "VestingReleased").withArgs(creator.address, expected);
      await expect(tx).to.emit(coin, "Transfer").withArgs(await coin.getAddress(), creator.address, expected);
      expect(await coin.released()).to.equal(expected);
      expect(await coin.balanceOf(creator.address)).to.equal(expected);
      expect(await coin.releasable()).to.equal(0n); // in the same block as the release

      await time.increaseTo(launchedAt + VESTING_DURATION + 1n);
      expect(await coin.releasable()).to.equal(CREATOR_ALLOCATION - expected);
      await coin.releaseVested();
      expect(await coin.balanceOf(creator.address)).to.equal(CREATOR_ALLOCATION);
      expect(await coin.balanceOf(await coin.getAddress())).to.equal(0n);
    });

    it("makes released coins eligible for revenue", async function () {
      const { coin, launchedAt } = await loadFixture(fixture);
      await time.increaseTo(launchedAt + VESTING_DURATION);
      await coin.releaseVested();
      expect(await coin.eligibleSupply()).to.equal(CREATOR_ALLOCATION);
    });
  });

  describe("direct revenue (depositRevenue, claimRevenue)", function () {
    /** A coin with alice 300 and bob 100 eligible coins, and a depositor (admin) with USDC and max approval. */
    async function revenueFixture() {
      const fx = await deployWithCoin(connection);
      const coinAddress = await fx.coin.getAddress();
      await fx.dex.sendCoins(coinAddress, fx.alice.address, COINS(300));
      await fx.dex.sendCoins(coinAddress, fx.bob.address, COINS(100));
      await fx.usdc.mint(fx.admin.address, USDC(1_000_000));
      await fx.usdc.connect(fx.admin).approve(coinAddress, MaxUint256);
      return { ...fx, coinAddress };
    }

    /** A coin nobody eligible holds yet, and the same depositor. */
    async function depositorOnlyFixture() {
      const fx = await deployWithCoin(connection);
      const coinAddress = await fx.coin.getAddress();
      await fx.usdc.mint(fx.admin.address, USDC(100));
      await fx.usdc.connect(fx.admin).approve(coinAddress, MaxUint256);
      return { ...fx, coinAddress };
    }

    it("depositRevenue pulls USDC into the coin, emits one event and spreads it pro rata", async function () {
      const { coin, usdc, admin, alice, bob, coinAddress } = await loadFixture(revenueFixture);
      const tx = coin.connect(admin).depositRevenue(USDC(400));
      await expect(tx).to.emit(coin, "RevenueDeposited").withArgs(admin.address, USDC(400));
      await expect(tx).to.emit(usdc, "Transfer").withArgs(admin.address, coinAddress, USDC(400));
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(400));
      expect(await coin.revenuePerToken()).to.equal((USDC(400) * 10n ** 27n) / COINS(400));
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(300));
      expect(await coin.claimableRevenue(bob.address)).to.equal(USDC(100));
    });

    it("depositRevenue carries while nothing is eligible and pays the carry with the next deposit", async function () {
      const { coin, usdc, dex, admin, alice, coinAddress } = await loadFixture(depositorOnlyFixture);
      await expect(coin.connect(admin).depositRevenue(USDC(30)))
        .to.emit(coin, "RevenueDeposited")
        .withArgs(admin.address, USDC(30));
      expect(await coin.undistributedRevenue()).to.equal(USDC(30));
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(30));
      await dex.sendCoins(coinAddress, alice.address, COINS(2));
      await coin.connect(admin).depositRevenue(USDC(10));
      expect(await coin.undistributedRevenue()).to.equal(0n);
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(40));
    });

    it("depositRevenue rejects zero, a missing approval and an amount beyond 64 bits", async function () {
      const { coin, usdc, admin, other, coinAddress } = await loadFixture(revenueFixture);
      await expect(coin.connect(admin).depositRevenue(0n)).to.be.revertedWithCustomError(coin, "CreatorCoinZeroAmount");
      await usdc.mint(other.address, USDC(1));
      await expect(coin.connect(other).depositRevenue(USDC(1)))
        .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
        .withArgs(coinAddress, 0n, USDC(1));
      const tooMuch = 2n ** 64n;
      await usdc.mint(admin.address, tooMuch);
      await expect(coin.connect(admin).depositRevenue(tooMuch))
        .to.be.revertedWithCustomError(coin, "CreatorCoinValueOverflow")
        .withArgs(tooMuch);
    });

    it("claimRevenue pays the caller from the coin's USDC, emits, returns the amount and zeroes it", async function () {
      const { coin, usdc, admin, alice, bob, coinAddress } = await loadFixture(revenueFixture);
      await coin.connect(admin).depositRevenue(USDC(400));
      await coin.connect(alice).transfer(bob.address, COINS(100)); // settles alice: 300 owed, 200 coins left
      await coin.connect(admin).depositRevenue(USDC(400)); // alice 200, bob 200
      expect(await coin.connect(alice).claimRevenue.staticCall()).to.equal(USDC(500));
      const tx = coin.connect(alice).claimRevenue();
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, USDC(500));
      await expect(tx).to.emit(usdc, "Transfer").withArgs(coinAddress, alice.address, USDC(500));
      expect(await usdc.balanceOf(alice.address)).to.equal(USDC(500));
      expect(await coin.claimableRevenue(alice.address)).to.equal(0n);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(300));
      // Earnings after the claim start from zero.
      await coin.connect(admin).depositRevenue(USDC(40)); // alice 20, bob 20
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(20));
      await coin.connect(bob).claimRevenue();
      expect(await usdc.balanceOf(bob.address)).to.equal(USDC(320));
    });

    it("claimRevenue reverts with CreatorCoinNothingToClaim when nothing is owed", async function () {
      const { coin, admin, alice, other } = await loadFixture(revenueFixture);
      await expect(coin.connect(other).claimRevenue())
        .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
        .withArgs(other.address);
      await coin.connect(admin).depositRevenue(USDC(4));
      await coin.connect(alice).claimRevenue();
      await expect(coin.connect(alice).claimRevenue())
        .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
        .withArgs(alice.address);
    });

    it("claimRevenue pays an excluded account what it earned before its exclusion", async function () {
      const { coin, usdc, distributor, admin, bob, coinAddress } = await loadFixture(revenueFixture);
      await coin.connect(admin).depositRevenue(USDC(400)); // bob 100
      await distributor.connect(admin).setExcluded(coinAddress, bob.address, true);
      await coin.connect(admin).depositRevenue(USDC(400)); // all to alice
      await expect(coin.connect(bob).claimRevenue()).to.emit(coin, "RevenueClaimed").withArgs(bob.address, USDC(100));
      expect(await usdc.balanceOf(bob.address)).to.equal(USDC(100));
      await expect(coin.connect(bob).claimRevenue())
        .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
        .withArgs(bob.address);
    });

    it("mixes with the router: a routed deposit is claimable directly and vice versa", async function () {
      const { coin, usdc, distributor, admin, alice, bob, coinAddress } = await loadFixture(revenueFixture);
      await usdc.connect(admin).approve(await distributor.getAddress(), MaxUint256);
      await distributor.connect(admin).deposit(coinAddress, USDC(40)); // alice 30, bob 10
      await coin.connect(admin).depositRevenue(USDC(40)); // alice 30, bob 10
      await expect(coin.connect(alice).claimRevenue()).to.emit(coin, "RevenueClaimed").withArgs(alice.address, USDC(60));
      await expect(distributor.connect(bob).claim([coinAddress]))
        .to.emit(coin, "RevenueClaimed")
        .withArgs(bob.address, USDC(20));
      expect(await usdc.balanceOf(coinAddress)).to.equal(0n);
    });
  });

  describe("market fees (accrueMarketFees, claims pulling from the DEX)", function () {
    /** alice 300 and bob 100 eligible coins; the DEX stand-in holds 1,000 USDC of holder fees to credit. */
    async function marketFeesFixture() {
      const fx = await deployWithCoin(connection);
      const coinAddress = await fx.coin.getAddress();
      await fx.dex.sendCoins(coinAddress, fx.alice.address, COINS(300));
      await fx.dex.sendCoins(coinAddress, fx.bob.address, COINS(100));
      await fx.usdc.mint(await fx.dex.getAddress(), USDC(1_000));
      return { ...fx, coinAddress };
    }

    it("credits holders like a deposit, naming the DEX, and moves no USDC", async function () {
      const { coin, dex, usdc, alice, bob, coinAddress } = await loadFixture(marketFeesFixture);
      const dexAddress = await dex.getAddress();
      const tx = dex.creditHolderFees(coinAddress, USDC(400));
      await expect(tx).to.emit(coin, "RevenueDeposited").withArgs(dexAddress, USDC(400));
      await expect(tx).to.not.emit(usdc, "Transfer");
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(300));
      expect(await coin.claimableRevenue(bob.address)).to.equal(USDC(100));
      expect(await usdc.balanceOf(coinAddress)).to.equal(0n);
    });

    it("carries while nothing is eligible, like a deposit", async function () {
      const { coin, dex, usdc, admin, alice } = await loadFixture(fixture);
      const coinAddress = await coin.getAddress();
      await usdc.mint(await dex.getAddress(), USDC(10));
      await dex.creditHolderFees(coinAddress, USDC(10));
      expect(await coin.undistributedRevenue()).to.equal(USDC(10));
      expect(await coin.revenuePerToken()).to.equal(0n);
      await dex.sendCoins(coinAddress, alice.address, COINS(5));
      await usdc.mint(admin.address, USDC(5));
      await usdc.connect(admin).approve(coinAddress, MaxUint256);
      await coin.connect(admin).depositRevenue(USDC(5));
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(15));
      await expect(coin.connect(alice).claimRevenue()).to.emit(dex, "HolderFeesReleased").withArgs(coinAddress, coinAddress, USDC(10));
      expect(await usdc.balanceOf(alice.address)).to.equal(USDC(15));
    });

    it("only the DEX may credit market fees", async function () {
      const { coin, distributor, other } = await loadFixture(fixture);
      await expect(coin.connect(other).accrueMarketFees(1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      const router = await impersonate(await distributor.getAddress());
      await expect(coin.connect(router).accrueMarketFees(1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(router.address);
    });

    it("claimRevenue pulls the fees from the DEX when the coin's USDC falls short, then pays", async function () {
      const { coin, dex, usdc, alice, bob, coinAddress } = await loadFixture(marketFeesFixture);
      const dexAddress = await dex.getAddress();
      await dex.creditHolderFees(coinAddress, USDC(400));
      const tx = coin.connect(alice).claimRevenue();
      await expect(tx).to.emit(dex, "HolderFeesReleased").withArgs(coinAddress, coinAddress, USDC(400));
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, USDC(300));
      await expect(tx).to.changeTokenBalances(ethers, usdc, [alice, coinAddress, dexAddress], [USDC(300), USDC(100), -USDC(400)]);
      expect(await dex.holderFees(coinAddress)).to.equal(0n);
      // bob is paid from what the coin now holds, without calling the DEX.
      await expect(coin.connect(bob).claimRevenue()).to.not.emit(dex, "HolderFeesReleased");
      expect(await usdc.balanceOf(bob.address)).to.equal(USDC(100));
      expect(await usdc.balanceOf(coinAddress)).to.equal(0n);
    });

    it("claimRevenue pays from the coin's own USDC while it suffices, leaving the fees in the DEX", async function () {
      const { coin, dex, usdc, admin, alice, coinAddress } = await loadFixture(marketFeesFixture);
      await usdc.mint(admin.address, USDC(400));
      await usdc.connect(admin).approve(coinAddress, MaxUint256);
      await coin.connect(admin).depositRevenue(USDC(400));
      await dex.creditHolderFees(coinAddress, USDC(40));
      const tx = coin.connect(alice).claimRevenue();
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, USDC(330));
      await expect(tx).to.not.emit(dex, "HolderFeesReleased");
      expect(await dex.holderFees(coinAddress)).to.equal(USDC(40));
    });

    it("a claim through the distributor pulls the fees too", async function () {
      const { coin, dex, distributor, alice, bob, coinAddress } = await loadFixture(marketFeesFixture);
      await dex.creditHolderFees(coinAddress, USDC(400));
      const tx = distributor.connect(bob).claim([coinAddress]);
      await expect(tx).to.emit(dex, "HolderFeesReleased").withArgs(coinAddress, coinAddress, USDC(400));
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(bob.address, USDC(100));
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(300));
    });
  });

  describe("revenue hooks", function () {
    it("reject every caller but the distributor", async function () {
      const { coin, other } = await loadFixture(fixture);
      await expect(coin.connect(other).accrueRevenue(other.address, 1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      await expect(coin.connect(other).claimRevenueFor(other.address))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      await expect(coin.connect(other).setRevenueExcluded(other.address, true))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
    });

    it("refuse to change the exclusion of the DEX or the escrow", async function () {
      const { coin, dex, distributor } = await loadFixture(fixture);
      for (const account of [await dex.getAddress(), await coin.getAddress()]) {
        await expect(distributor.setExcluded(await coin.getAddress(), account, false))
          .to.be.revertedWithCustomError(coin, "CreatorCoinFixedExclusion")
          .withArgs(account);
      }
    });

    it("reject a deposit that does not fit 64 bits", async function () {
      const { coin, dex, usdc, distributor, admin, alice } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(1));
      const amount = 2n ** 64n;
      await usdc.mint(admin.address, amount);
      await usdc.approve(await distributor.getAddress(), MaxUint256);
      await expect(distributor.deposit(await coin.getAddress(), amount))
        .to.be.revertedWithCustomError(coin, "CreatorCoinValueOverflow")
        .withArgs(amount);
    });

    it("reject an owed amount or an accumulator beyond their widths", async function () {
      const { coin, dex, usdc, distributor, admin, alice, bob } = await loadFixture(fixture);
      const coinAddress = await coin.getAddress();
      await dex.sendCoins(coinAddress, alice.address, COINS(1)); // the minimum eligible supply
      const max = 2n ** 64n - 1n;
      await usdc.mint(admin.address, 10n * max);
      await usdc.approve(await distributor.getAddress(), MaxUint256);
      await distributor.deposit(coinAddress, max);
      await distributor.deposit(coinAddress, max);
      const owed = await coin.claimableRevenue(alice.address);
      expect(owed).to.be.greaterThan(max);
      await expect(coin.connect(alice).transfer(bob.address, 1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinValueOverflow")
        .withArgs(owed);
      await distributor.deposit(coinAddress, max);
      await distributor.deposit(coinAddress, max);
      const accumulator = (await coin.revenuePerToken()) + (max * 10n ** 27n) / COINS(1);
      await expect(distributor.deposit(coinAddress, max))
        .to.be.revertedWithCustomError(coin, "CreatorCoinValueOverflow")
        .withArgs(accumulator);
    });
  });
});
