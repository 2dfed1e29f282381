import { expect } from "chai";
import { network } from "hardhat";
import { ethers as E } from "ethers";
import { GAS_MARGIN_PERCENT, withGasMargin } from "../relayer/src/chain/gas.js";
import { packDeltas } from "./helpers/nft/deltas.js";
import { deployProtocol } from "./helpers/protocol.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const USDC = (n: number) => BigInt(n) * 1_000_000n;
const FAR = 2n ** 40n;

/** A coin just launched, no trade on it yet; a fan and a platform funded and approved. */
async function launchedCoin() {
  const contracts = await deployProtocol(connection);
  const [, relayer, creator, fan, platform] = await ethers.getSigners();
  const { usdc, musicNFT, dex, distributor, factory } = contracts;
  await musicNFT.connect(creator).mintTrack(`ipfs://${CID}`, creator.address, 500);
  for (const who of [fan, platform]) {
    await usdc.mint(who.address, USDC(100_000));
    for (const spender of [dex, distributor]) await usdc.connect(who).approve(await spender.getAddress(), E.MaxUint256);
  }
  await musicNFT.connect(relayer).commitPlays(1n, E.id("root"), CID, packDeltas([{ trackId: 1n, delta: await factory.launchThreshold() }]));
  await factory.connect(creator).launchCoin("Nova", "NOVA");
  return { ...contracts, fan, platform, coin: await factory.coinOf(creator.address) };
}

describe("gas margin (relayer/src/chain/gas.ts): a call estimated before someone else's transaction still mines after it", function () {
  it("adds GAS_MARGIN_PERCENT to an estimate", function () {
    expect(GAS_MARGIN_PERCENT).to.equal(25n);
    expect(withGasMargin(164_515n)).to.equal(205_643n);
    expect(withGasMargin(0n)).to.equal(0n);
  });

  it("a coin's first buy, estimated before a revenue deposit lands: the bare estimate runs out of gas, the margin mines", async function () {
    for (const limit of ["bare", "margin"] as const) {
      const { dex, distributor, fan, platform, coin } = await loadFixture(launchedCoin);
      const buy = () => dex.connect(fan).buy(coin, USDC(50), 0n, fan.address, FAR, { gasLimit: limit === "bare" ? estimate : withGasMargin(estimate) });
      // The fan's wallet estimates while nothing of the coin's revenue is unlocked...
      const estimate = await dex.connect(fan).buy.estimateGas(coin, USDC(50), 0n, fan.address, FAR);
      // ...then a creator's deposit is mined first, and seconds of it unlock: the buy now pays the market's revenue out.
      await distributor.connect(platform).deposit(coin, USDC(30));
      await time.increase(5);
      const dearer = await dex.connect(fan).buy.estimateGas(coin, USDC(50), 0n, fan.address, FAR);
      expect(dearer).to.be.greaterThan(estimate);
      expect(withGasMargin(estimate)).to.be.greaterThan(dearer);
      if (limit === "bare") {
        // The coin's transfer runs out of gas inside the call, so the revert carries no reason.
        await expect(buy()).to.be.revertedWithoutReason(ethers);
        expect((await dex.market(coin)).outstanding).to.equal(0n);
      } else {
        const receipt = await (await buy()).wait();
        expect(receipt?.status).to.equal(1);
        expect(receipt!.gasUsed).to.be.greaterThan(estimate);
        expect((await dex.market(coin)).outstanding).to.be.greaterThan(0n);
      }
    }
  });
});
