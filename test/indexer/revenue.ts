import { expect } from "chai";
import { network } from "hardhat";
import { ethers as E } from "ethers";
import { createPublicClient, custom, decodeEventLog, getAddress, zeroAddress, type Address, type Log } from "viem";
import { CreatorCoinAbi } from "../../indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "../../indexer/abis/CreatorCoinFactory.js";
import { MusicDEXAbi } from "../../indexer/abis/MusicDEX.js";
import { RevenueDistributorAbi } from "../../indexer/abis/RevenueDistributor.js";
import {
  claimableRevenue,
  launchRevenue,
  lockRevenue,
  moveEligible,
  REVENUE_UNIT,
  settleHolder,
  splitFee,
  unlockRevenue,
  type HolderRevenue,
  type RevenueState,
} from "../../indexer/lib/math.js";
import type { CreatorCoin } from "../../types/ethers-contracts/index.js";
import { packDeltas } from "../helpers/nft/deltas.js";
import { deployProtocol } from "../helpers/protocol.js";

/**
 * indexer/lib/math.ts against CreatorCoin itself. Random trades, transfers, deposits (on the coin and routed),
 * claims, exclusions and vesting releases, some of them several to a block, run on three coins (the default supply;
 * the largest the factory allows, where tiny unlocks round to nothing; two whole coins, where less than one can be
 * eligible and revenue goes to the market). The chain's logs are replayed with the indexer's functions, making the
 * handlers' decisions (where the contract stores the state, where it only brings it forward), and after every block
 * the replay is compared with revenueState() and every revenue view at that block, and again at later timestamps
 * with nothing happening in between.
 */

const connection = await network.create();
const { ethers } = connection;
// cacheTime 0: viem would otherwise answer getBlockNumber from a 4 s cache, comparing an old block again.
const client = createPublicClient({ transport: custom(connection.provider), cacheTime: 0 });

const USDC = (n: number) => BigInt(Math.round(n * 1e6));
const FAR = 2n ** 40n;
const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const lower = (address: string) => address.toLowerCase();

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]! };
}

/** One coin's revenue replayed as the handlers replay it (indexer/src/CreatorCoin.ts, MusicDEX.ts, RevenueDistributor.ts). */
class CoinReplay {
  state: RevenueState = launchRevenue(0n, 0n);
  sellFeePending = false;
  outstanding = 0n;
  /** MusicDEX.Market.holderFees: the trades' holder fees, less those released to the coin or kept as market revenue. */
  holderFees = 0n;
  readonly holders = new Map<string, HolderRevenue>();

  constructor(
    readonly address: Address,
    readonly dex: Address,
  ) {}

  holder(address: string): HolderRevenue {
    return this.holders.get(lower(address)) ?? { balance: 0n, excluded: false, revenueSnapshot: 0n, owed: 0n };
  }

  private set(address: string, row: HolderRevenue) {
    this.holders.set(lower(address), row);
  }

  private payMarket(amount: bigint) {
    const market = this.holder(this.dex);
    this.set(this.dex, { ...market, owed: market.owed + amount });
  }

  private collectMarketRevenue(accumulator: bigint, toMarket: bigint) {
    const market = settleHolder(this.holder(this.dex), accumulator);
    this.set(this.dex, { ...market, owed: 0n });
    const revenue = market.owed + toMarket;
    this.holderFees -= revenue < this.holderFees ? revenue : this.holderFees;
  }

  launched(totalSupply: bigint, timestamp: bigint) {
    this.state = launchRevenue(totalSupply, timestamp);
  }

  transfer(from: Address, to: Address, value: bigint, timestamp: bigint) {
    if (from === zeroAddress) {
      const row = this.holder(to);
      this.set(to, { ...row, balance: row.balance + value });
      return;
    }
    if (lower(from) === lower(to)) return;
    const { state, toMarket } = unlockRevenue(this.state, timestamp);
    const sender = this.holder(from);
    const settledSender = settleHolder(sender, state.revenueAccumulator);
    this.set(from, { ...settledSender, balance: settledSender.balance - value });
    const recipient = this.holder(to);
    const settledRecipient = settleHolder(recipient, state.revenueAccumulator);
    this.set(to, { ...settledRecipient, balance: settledRecipient.balance + value });
    if (sender.excluded !== recipient.excluded) {
      this.state = moveEligible(state, value, sender.excluded);
      this.payMarket(toMarket);
    }
  }

  deposited(from: Address, amount: bigint, timestamp: bigint) {
    const { state, toMarket } = unlockRevenue(this.state, timestamp);
    const buySync = lower(from) === lower(this.dex) && !this.sellFeePending;
    this.state = lockRevenue(state, amount);
    this.sellFeePending = false;
    if (buySync) this.collectMarketRevenue(state.revenueAccumulator, toMarket);
    else this.payMarket(toMarket);
  }

  claimed(holder: Address, amount: bigint, timestamp: bigint) {
    const { revenueAccumulator } = unlockRevenue(this.state, timestamp).state;
    const settled = settleHolder(this.holder(holder), revenueAccumulator);
    expect(settled.owed, `claim of ${holder}`).to.equal(amount);
    this.set(holder, { ...settled, owed: 0n });
  }

  released(creator: Address) {
    const escrow = this.holder(this.address);
    this.set(this.address, { ...escrow, owed: 0n });
    const row = this.holder(creator);
    this.set(creator, { ...row, owed: row.owed + escrow.owed });
  }

  swapped(isBuy: boolean, coinAmount: bigint, fee: bigint, timestamp: bigint) {
    if (!isBuy) {
      const { state, toMarket } = unlockRevenue(this.state, timestamp);
      this.state = state;
      this.sellFeePending = true;
      this.collectMarketRevenue(state.revenueAccumulator, toMarket);
    }
    this.outstanding += isBuy ? coinAmount : -coinAmount;
    this.holderFees += splitFee(fee).holderFee;
  }

  exclusionSet(account: Address, excluded: boolean, timestamp: bigint) {
    const row = this.holder(account);
    if (row.excluded === excluded) return;
    const { state, toMarket } = unlockRevenue(this.state, timestamp);
    this.set(account, excluded ? { ...settleHolder(row, state.revenueAccumulator), excluded: true } : { ...row, excluded: false, revenueSnapshot: state.revenueAccumulator });
    this.state = moveEligible(state, row.balance, !excluded);
    this.payMarket(toMarket);
  }
}

describe("indexer revenue math (indexer/lib/math.ts) against CreatorCoin", function () {
  this.timeout(600_000);

  it("replays every stored update and equals every revenue view at every block and later time", async function () {
    const contracts = await deployProtocol(connection);
    const { usdc, musicNFT, dex, distributor, factory } = contracts;
    const signers = await ethers.getSigners();
    const [admin, relayer, creatorA, creatorB, creatorC] = signers;
    const fans = signers.slice(5, 11);
    const dexAddress = getAddress(await dex.getAddress());
    const distributorAddress = await distributor.getAddress();
    const factoryAddress = await factory.getAddress();

    // Three creators past the launch threshold. The second coin gets the largest supply the factory allows; the
    // third two whole coins, so that excluding a holder or two leaves less than one eligible (revenue to the market).
    const creators = [creatorA, creatorB, creatorC] as const;
    for (const creator of creators) await musicNFT.connect(creator).mintTrack("ipfs://track", creator.address, 0);
    const threshold = await factory.launchThreshold();
    await musicNFT.connect(relayer).commitPlays(1n, E.id("root"), CID, packDeltas(creators.map((_, index) => ({ trackId: BigInt(index + 1), delta: threshold }))));
    const replays = new Map<string, CoinReplay>();
    const replayBlock = async (blockNumber: bigint) => {
      const { timestamp } = await client.getBlock({ blockNumber });
      for (const log of await client.getLogs({ fromBlock: blockNumber, toBlock: blockNumber })) replayLog(log, timestamp);
      return timestamp;
    };
    const replayLog = (log: Log, timestamp: bigint) => {
      const address = getAddress(log.address);
      if (address === dexAddress) {
        const event = decodeEventLog({ abi: MusicDEXAbi, topics: log.topics, data: log.data });
        if (event.eventName === "Swapped") replays.get(event.args.coin)!.swapped(event.args.isBuy, event.args.coinAmount, event.args.fee, timestamp);
        if (event.eventName === "CreatorCoinsReleased") replays.get(event.args.coin)!.outstanding = event.args.outstanding;
        if (event.eventName === "HolderFeesReleased") replays.get(event.args.coin)!.holderFees -= event.args.amount;
        return;
      }
      if (address === distributorAddress) {
        const event = decodeEventLog({ abi: RevenueDistributorAbi, topics: log.topics, data: log.data });
        if (event.eventName === "RevenueExclusionSet") replays.get(event.args.coin)!.exclusionSet(event.args.account, event.args.excluded, timestamp);
        return;
      }
      if (address === factoryAddress) {
        const event = decodeEventLog({ abi: CreatorCoinFactoryAbi, topics: log.topics, data: log.data });
        if (event.eventName === "CreatorCoinLaunched") replays.get(event.args.coin)!.launched(event.args.totalSupply, timestamp);
        return;
      }
      const replay = replays.get(address);
      if (replay === undefined) return;
      const event = decodeEventLog({ abi: CreatorCoinAbi, topics: log.topics, data: log.data });
      if (event.eventName === "Transfer") replay.transfer(event.args.from, event.args.to, event.args.value, timestamp);
      if (event.eventName === "RevenueDeposited") replay.deposited(event.args.from, event.args.amount, timestamp);
      if (event.eventName === "RevenueClaimed") replay.claimed(event.args.holder, event.args.amount, timestamp);
      if (event.eventName === "VestingReleased") replay.released(event.args.creator);
    };

    const coins: { address: Address; creator: (typeof signers)[number]; token: CreatorCoin }[] = [];
    for (const [creator, supply] of [[creatorA, undefined], [creatorB, 10n ** 28n], [creatorC, 2n * 10n ** 18n]] as const) {
      if (supply !== undefined) await factory.connect(admin).setCoinSupply(supply);
      const address = getAddress(await factory.predictCoinAddress(creator.address));
      replays.set(address, new CoinReplay(address, dexAddress));
      const receipt = await (await factory.connect(creator).launchCoin(`Coin ${coins.length}`, `C${coins.length}`)).wait();
      await replayBlock(BigInt(receipt!.blockNumber));
      coins.push({ address, creator, token: await ethers.getContractAt("CreatorCoin", address) });
    }
    for (const who of [...fans, ...creators]) {
      await usdc.mint(who.address, USDC(10_000_000));
      await usdc.connect(who).approve(dexAddress, E.MaxUint256);
      await usdc.connect(who).approve(distributorAddress, E.MaxUint256);
      for (const { token } of coins) {
        await usdc.connect(who).approve(await token.getAddress(), E.MaxUint256);
        await token.connect(who).approve(dexAddress, E.MaxUint256);
      }
    }

    let compared = 0;
    const compare = async (blockNumber: bigint, timestamp: bigint) => {
      for (const [address, replay] of replays) {
        const coin = { address: address as Address, abi: CreatorCoinAbi, blockNumber } as const;
        const [stored, perToken, undistributed, eligible, pendingMarket, market] = await Promise.all([
          client.readContract({ ...coin, functionName: "revenueState" }),
          client.readContract({ ...coin, functionName: "revenuePerToken" }),
          client.readContract({ ...coin, functionName: "undistributedRevenue" }),
          client.readContract({ ...coin, functionName: "eligibleSupply" }),
          client.readContract({ ...coin, functionName: "pendingMarketRevenue" }),
          client.readContract({ address: dexAddress, abi: MusicDEXAbi, functionName: "market", args: [address as Address], blockNumber }),
        ]);
        const { state } = replay;
        expect(stored, `${address} stored state at block ${blockNumber}`).to.deep.equal([state.revenueAccumulator, state.eligibleUnits, state.revenueUpdatedAt, state.lockedRevenue]);
        const now = unlockRevenue(state, timestamp);
        expect([perToken, undistributed, eligible], `${address} views at ${timestamp}`).to.deep.equal([now.state.revenueAccumulator, now.state.lockedRevenue, state.eligibleUnits * REVENUE_UNIT]);
        expect(pendingMarket).to.equal(settleHolder(replay.holder(dexAddress), now.state.revenueAccumulator).owed + now.toMarket);
        expect([market.outstanding, market.holderFees]).to.deep.equal([replay.outstanding, replay.holderFees]);
        for (const [holder, row] of replay.holders) {
          const [claimable, balance, excluded] = await Promise.all([
            client.readContract({ ...coin, functionName: "claimableRevenue", args: [holder as Address] }),
            client.readContract({ ...coin, functionName: "balanceOf", args: [holder as Address] }),
            client.readContract({ ...coin, functionName: "isRevenueExcluded", args: [holder as Address] }),
          ]);
          expect([holder, claimable, balance, excluded], `block ${blockNumber}`).to.deep.equal([holder, claimableRevenue(row, now.state.revenueAccumulator), row.balance, row.excluded]);
        }
        compared++;
      }
    };
    const mineAndCompare = async () => {
      await connection.provider.request({ method: "evm_mine", params: [] });
      const blockNumber = await client.getBlockNumber();
      await compare(blockNumber, await replayBlock(blockNumber));
    };
    /** Sends each transaction that `sends` gives (a failing one just fails in the block), then mines them as one block. */
    const inOneBlock = async (sends: (() => Promise<(() => Promise<unknown>) | undefined>)[] | (() => Promise<unknown>)[]) => {
      await connection.provider.request({ method: "evm_setAutomine", params: [false] });
      try {
        for (const send of sends) {
          const result = await send();
          if (typeof result === "function") await result();
        }
      } finally {
        await connection.provider.request({ method: "evm_setAutomine", params: [true] });
      }
      await mineAndCompare();
    };

    // Tiny revenue on the largest supply, stored every second: what unlocks is too little to move the accumulator,
    // so it stays locked (the clock still moves with every stored update).
    const large = coins[1]!;
    for (let second = 0; second < 12; second++) {
      await inOneBlock([() => large.token.connect(large.creator).depositRevenue(second === 0 ? USDC(1) : 1n, { gasLimit: 1_000_000 })]);
    }

    // Most of the two-coin supply bought and excluded: what unlocks goes to the market, collected at its next trade.
    const small = coins[2]!;
    await inOneBlock([() => dex.connect(fans[0]!).buy(small.address, USDC(100_000), 0n, fans[0]!.address, FAR, { gasLimit: 1_000_000 })]);
    await inOneBlock([() => distributor.connect(admin).setExcluded(small.address, fans[0]!.address, true, { gasLimit: 1_000_000 })]);
    expect(await small.token.eligibleSupply()).to.be.lessThan(10n ** 18n);
    await inOneBlock([() => small.token.connect(small.creator).depositRevenue(USDC(500), { gasLimit: 1_000_000 })]);

    const rng = random(15);
    /** One random action as an unsent transaction; undefined when it would surely revert. */
    const action = async (): Promise<(() => Promise<unknown>) | undefined> => {
      const { address, creator, token } = rng.pick(coins);
      const fan = rng.pick(fans);
      const roll = rng.next();
      const tiny = rng.next() < 0.25;
      if (roll < 0.22) return () => dex.connect(fan).buy(address, tiny ? BigInt(rng.int(40, 400)) : USDC(rng.int(1, 2_000)), 0n, fan.address, FAR, { gasLimit: 1_000_000 });
      if (roll < 0.37) {
        const balance = await token.balanceOf(fan.address);
        if (balance < 1_000n) return undefined;
        return () => dex.connect(fan).sell(address, (balance * BigInt(rng.int(1, 100))) / 100n, 0n, fan.address, FAR, { gasLimit: 1_000_000 });
      }
      if (roll < 0.52) {
        const balance = await token.balanceOf(fan.address);
        const to = rng.next() < 0.2 ? E.Wallet.createRandom().address : rng.pick([...fans, creator]).address;
        return () => token.connect(fan).transfer(to, rng.next() < 0.1 ? 0n : (balance * BigInt(rng.int(1, 100))) / 100n, { gasLimit: 1_000_000 });
      }
      if (roll < 0.64) {
        const amount = tiny ? BigInt(rng.int(1, 50)) : USDC(rng.int(1, 5_000));
        return rng.next() < 0.5
          ? () => token.connect(creator).depositRevenue(amount, { gasLimit: 1_000_000 })
          : () => distributor.connect(creator).deposit(address, amount, { gasLimit: 1_000_000 });
      }
      if (roll < 0.76) {
        const who = rng.pick([...fans, creator]);
        if ((await token.claimableRevenue(who.address)) === 0n) return undefined;
        return rng.next() < 0.5 ? () => token.connect(who).claimRevenue({ gasLimit: 1_000_000 }) : () => distributor.connect(who).claim([address], { gasLimit: 1_000_000 });
      }
      if (roll < 0.88) return () => distributor.connect(admin).setExcluded(address, rng.pick([...fans, creator]).address, rng.next() < 0.5, { gasLimit: 1_000_000 });
      if ((await token.releasable()) === 0n) return undefined;
      return () => token.connect(creator).releaseVested({ gasLimit: 1_000_000 });
    };

    for (let step = 0; step < 160; step++) {
      const jump = rng.pick([0, 0, 1, 5, 60, 3_600, 86_400, 604_800, 2_000_000]);
      if (jump > 0) await connection.provider.request({ method: "evm_increaseTime", params: [jump] });
      // Several transactions to one block now and then: stored updates and copies at the same timestamp.
      await inOneBlock(Array.from({ length: rng.next() < 0.25 ? rng.int(2, 4) : 1 }, () => action));
      if (step % 20 === 19) {
        // Nothing happens for a while: the views unlock with time alone, the replay brings the same state forward.
        for (const idle of [1, 3_599, 302_400, 604_800, 5_000_000]) {
          await connection.provider.request({ method: "evm_increaseTime", params: [idle] });
          await mineAndCompare();
        }
      }
    }
    // The run went through every kind of stored update and kept real amounts locked and owed.
    const events = new Set<string>();
    for (const log of await client.getLogs({ fromBlock: 0n })) {
      for (const abi of [CreatorCoinAbi, MusicDEXAbi, RevenueDistributorAbi]) {
        try {
          events.add(decodeEventLog({ abi, topics: log.topics, data: log.data }).eventName);
          break;
        } catch {
          // another contract's event
        }
      }
    }
    expect([...events]).to.include.members(["Swapped", "RevenueDeposited", "RevenueClaimed", "RevenueExclusionSet", "VestingReleased", "CreatorCoinsReleased", "Transfer"]);
    expect(compared).to.be.greaterThan(300);
  });
});
