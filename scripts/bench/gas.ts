/**
 * Gas benchmark: receipt gasUsed (including the 21,000 base) of the protocol's hot paths on the
 * in-process Hardhat network. Gas is deterministic, so one run is the measurement.
 *
 *   npm run bench:gas      → prints a table, writes bench/results/gas.json
 *
 * Marginal per-item figures come from commits/settles of different sizes: perItem = Δgas / Δitems.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { network } from "hardhat";
import { Wallet, keccak256, solidityPacked, hexlify, randomBytes, type ContractTransactionResponse } from "ethers";
import ProtocolModule from "../../deploy/modules/Protocol.js";

const { ethers, ignition, networkHelpers } = await network.create();
const [admin, relayer, trader, holder, depositor] = await ethers.getSigners();
const { usdc, musicNFT, distributor, dex, factory, vault } = await ignition.deploy(ProtocolModule);

const gasOf = async (tx: Promise<ContractTransactionResponse>): Promise<bigint> => (await (await tx).wait())!.gasUsed;
const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const USDC = (n: number) => BigInt(n) * 1_000_000n;

async function fundedWallet(): Promise<Wallet> {
  const wallet = Wallet.createRandom().connect(ethers.provider);
  await networkHelpers.setBalance(wallet.address, 10n ** 20n);
  return wallet;
}

// ── MusicNFT ────────────────────────────────────────────────────────────────────────────────────
/** Tracks in groups of 10 per creator, as the relayer sends them (sorted by creator). */
async function mintTracks(count: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let i = 0; i < count; i += 10) {
    const creator = await fundedWallet();
    for (let j = 0; j < Math.min(10, count - i); j++) {
      const tx = await musicNFT.connect(creator).mintTrack(`ipfs://${CID}`, creator.address, 500);
      const receipt = await tx.wait();
      const log = receipt!.logs.map((l) => musicNFT.interface.parseLog(l)).find((l) => l?.name === "TrackMinted");
      ids.push(log!.args.trackId as bigint);
    }
  }
  return ids;
}

const packDeltas = (ids: bigint[], delta: number) =>
  solidityPacked(ids.flatMap(() => ["uint64", "uint32"]), ids.flatMap((id) => [id, delta]));

let batchId = 1n;
const commit = (ids: bigint[], delta = 7) =>
  gasOf(musicNFT.connect(relayer).commitPlays(batchId++, hexlify(randomBytes(32)), CID, packDeltas(ids, delta)));

const firstCreator = await fundedWallet();
await musicNFT.connect(firstCreator).mintTrack(`ipfs://${CID}`, firstCreator.address, 500);
const mintTrack = await gasOf(musicNFT.connect(firstCreator).mintTrack(`ipfs://${CID}`, firstCreator.address, 500));

const set1 = await mintTracks(1);
const set100 = await mintTracks(100);
const set1000 = await mintTracks(1000);
const newGas = { 1: await commit(set1), 100: await commit(set100), 1000: await commit(set1000) };
const existingGas = { 1: await commit(set1), 100: await commit(set100), 1000: await commit(set1000) };
const perTrackNew = (newGas[1000] - newGas[100]) / 900n;
const perTrackExisting = (existingGas[1000] - existingGas[100]) / 900n;
const commitFixed = existingGas[1] - perTrackExisting;

// ── Creator coin launch, DEX, revenue ───────────────────────────────────────────────────────────
const creator = await fundedWallet();
const creatorTracks = [];
for (let j = 0; j < 10; j++) {
  await musicNFT.connect(creator).mintTrack(`ipfs://${CID}`, creator.address, 500);
  creatorTracks.push(await musicNFT.totalTracks());
}
await commit(creatorTracks, 5_000); // 50,000 plays: the default launch threshold
const launchCoin = await gasOf(factory.connect(creator).launchCoin("Nova Beats", "NOVA"));
const coinAddress = await factory.coinOf(creator.address);
const coin = await ethers.getContractAt("CreatorCoin", coinAddress);

const deadline = 2n ** 40n;
for (const who of [trader, holder]) {
  await usdc.mint(who.address, USDC(1_000_000));
  await usdc.connect(who).approve(await dex.getAddress(), ethers.MaxUint256);
  await dex.connect(who).buy(coinAddress, USDC(1_000), 0, who.address, deadline);
}
const buy = await gasOf(dex.connect(trader).buy(coinAddress, USDC(500), 0, trader.address, deadline));
const sell = await gasOf(dex.connect(trader).sell(coinAddress, (await coin.balanceOf(trader.address)) / 3n, 0, trader.address, deadline));

await usdc.mint(depositor.address, USDC(1_000_000));
await usdc.connect(depositor).approve(await distributor.getAddress(), ethers.MaxUint256);
await distributor.connect(depositor).deposit(coinAddress, USDC(100));
const revenueDeposit = await gasOf(distributor.connect(depositor).deposit(coinAddress, USDC(100)));
const revenueClaim = await gasOf(distributor.connect(holder).claim([coinAddress]));
await distributor.connect(depositor).deposit(coinAddress, USDC(100));
const coinTransfer = await gasOf(coin.connect(trader).transfer(holder.address, 10n ** 18n));

// ── Vault settlement ────────────────────────────────────────────────────────────────────────────
const artist = await fundedWallet();
const listeners: Wallet[] = [];
for (let i = 0; i < 101; i++) {
  const listener = await fundedWallet();
  await usdc.mint(listener.address, USDC(100));
  await usdc.connect(listener).approve(await vault.getAddress(), ethers.MaxUint256);
  await vault.connect(listener).deposit(USDC(100));
  listeners.push(listener);
}
const domain = {
  name: "BeatStreamVault",
  version: "1",
  chainId: (await ethers.provider.getNetwork()).chainId,
  verifyingContract: await vault.getAddress(),
};
const voucherTypes = {
  StreamVoucher: [
    { name: "listener", type: "address" },
    { name: "artist", type: "address" },
    { name: "sessionId", type: "bytes32" },
    { name: "cumulativeAmount", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
};
const sessions = listeners.map((l, i) => keccak256(solidityPacked(["address", "uint256"], [l.address, i])));
async function settle(from: number, to: number, cumulative: bigint): Promise<bigint> {
  const vouchers = [];
  const signatures = [];
  for (let i = from; i < to; i++) {
    const voucher = { listener: listeners[i].address, artist: artist.address, sessionId: sessions[i], cumulativeAmount: cumulative, deadline };
    vouchers.push(voucher);
    signatures.push(await listeners[i].signTypedData(domain, voucherTypes, voucher));
  }
  return gasOf(vault.connect(relayer).settle(vouchers, ethers.concat(signatures)));
}
const settleFirst = { 1: await settle(0, 1, USDC(1)), 100: await settle(1, 101, USDC(1)) };
const settleRepeat = { 1: await settle(0, 1, USDC(2)), 100: await settle(1, 101, USDC(2)) };

// ── Report ──────────────────────────────────────────────────────────────────────────────────────
const results: Record<string, number> = {
  mintTrack: Number(mintTrack),
  "commitPlays.fixed": Number(commitFixed),
  "commitPlays.perTrack.existing": Number(perTrackExisting),
  "commitPlays.perTrack.new": Number(perTrackNew),
  launchCoin: Number(launchCoin),
  buy: Number(buy),
  sell: Number(sell),
  "revenue.deposit": Number(revenueDeposit),
  "revenue.claim": Number(revenueClaim),
  "coin.transfer": Number(coinTransfer),
  "settle.perVoucher.first": Number((settleFirst[100] - settleFirst[1]) / 99n),
  "settle.perVoucher.repeat": Number((settleRepeat[100] - settleRepeat[1]) / 99n),
};
const targets: Record<string, number> = {
  "commitPlays.fixed": 60_000,
  "commitPlays.perTrack.existing": 6_000,
  "commitPlays.perTrack.new": 25_000,
  launchCoin: 350_000,
  buy: 100_000,
  sell: 100_000,
  "revenue.deposit": 50_000,
  "revenue.claim": 50_000,
  "coin.transfer": 60_000,
  "settle.perVoucher.first": 45_000,
  "settle.perVoucher.repeat": 20_000,
};
console.table(
  Object.entries(results).map(([figure, gas]) => ({
    figure,
    gas,
    target: targets[figure] ?? "",
    ok: targets[figure] === undefined ? "" : gas <= targets[figure] ? "yes" : "NO",
  })),
);
console.log(`commitPlays totals — new: ${JSON.stringify(newGas, (_, v) => (typeof v === "bigint" ? Number(v) : v))}, existing: ${JSON.stringify(existingGas, (_, v) => (typeof v === "bigint" ? Number(v) : v))}`);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/gas.json", JSON.stringify(results, null, 2) + "\n");
console.log("wrote bench/results/gas.json");
