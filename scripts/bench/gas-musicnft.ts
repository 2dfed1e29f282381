/**
 * Receipt gas (incl. the 21,000 base) of MusicNFT.mintTrack and MusicNFT.commitPlays.
 *
 * commitPlays is measured with 1, 100 and 1,000 tracks, 10 tracks per creator, entries sorted by creator:
 * "new" = tracks never committed (their creators' totals go 0 -> nonzero), "existing" = the same tracks again.
 * perTrack = (gas(1000) - gas(100)) / 900, fixed = gas(1) - perTrack.
 *
 * Run: npx hardhat run scripts/bench/gas-musicnft.ts   (prints a table and one JSON line, `GAS_JSON ...`)
 */
import { network } from "hardhat";
import MusicNFTModule from "../../deploy/modules/MusicNFT.js";
import { packDeltas, type PlayDelta } from "../../test/helpers/nft/deltas.js";
import type { MusicNFT } from "../../types/ethers-contracts/index.js";

const TRACKS_PER_CREATOR = 10;
const SIZES = [1, 100, 1_000] as const;
const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const URI = `ipfs://${CID}`;
const TARGETS = { fixed: 60_000, perTrackExisting: 6_000, perTrackNew: 25_000 };

const { ethers, ignition, networkHelpers } = await network.create();
const [admin, relayer] = await ethers.getSigners();
const deployed = await ignition.deploy(MusicNFTModule, {
  parameters: { MusicNFT: { admin: admin.address, relayer: relayer.address } },
});
const musicNFT = deployed.musicNFT as unknown as MusicNFT;

let creatorSeq = 0;
async function newCreator() {
  const address = ethers.getAddress(ethers.dataSlice(ethers.id(`bench-creator-${creatorSeq++}`), 12));
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, ethers.parseEther("100"));
  return ethers.getSigner(address);
}

/** Mints `count` tracks, TRACKS_PER_CREATOR per fresh creator (ids come out grouped by creator). */
async function mintTracks(count: number): Promise<{ ids: bigint[]; mintGas: bigint[] }> {
  const ids: bigint[] = [];
  const mintGas: bigint[] = [];
  let creator = await newCreator();
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % TRACKS_PER_CREATOR === 0) creator = await newCreator();
    const receipt = await (await musicNFT.connect(creator).mintTrack(URI, creator.address, 500)).wait();
    mintGas.push(receipt!.gasUsed);
    ids.push(await musicNFT.totalTracks());
  }
  return { ids, mintGas };
}

/** Intrinsic gas of a transaction's data: 4 per zero byte, 16 per nonzero byte (plus the 21,000 base). */
function intrinsicGas(data: string): number {
  const bytes = ethers.getBytes(data);
  return 21_000 + bytes.reduce((sum, b) => sum + (b === 0 ? 4 : 16), 0);
}

const intrinsic = new Map<string, number>();

async function commit(ids: bigint[], label?: string): Promise<bigint> {
  const entries: PlayDelta[] = ids.map((trackId, i) => ({ trackId, delta: BigInt(20 + ((i * 37) % 480)) }));
  const batchId = await musicNFT.nextBatchId();
  const root = ethers.id(`bench-root-${batchId}`);
  const tx = await musicNFT.connect(relayer).commitPlays(batchId, root, CID, packDeltas(entries));
  if (label !== undefined) intrinsic.set(label, intrinsicGas(tx.data));
  return (await tx.wait())!.gasUsed;
}

const sets = new Map<number, bigint[]>();
let mintGas: bigint[] = [];
for (const size of SIZES) {
  const minted = await mintTracks(size);
  sets.set(size, minted.ids);
  mintGas = mintGas.concat(minted.mintGas);
}
const gasNew = new Map<number, bigint>();
const gasExisting = new Map<number, bigint>();
for (const size of SIZES) gasNew.set(size, await commit(sets.get(size)!));
for (const size of SIZES) gasExisting.set(size, await commit(sets.get(size)!, `existing ${size}`));

// The brief's `fixed` still holds 9/10 of a creator write (gas(1) pays a whole one, perTrack a tenth), so
// also split it exactly: 10 tracks of one creator, committed a second time, give the per-track cost without
// creator writes: track = (gas(10 of 1 creator) - gas(1)) / 9; creatorWrite = 10 * (perTrack - track).
const ten = (await mintTracks(TRACKS_PER_CREATOR)).ids;
await commit(ten);
const gasTen = await commit(ten);
const trackOnly = Number(gasTen - gasExisting.get(1)!) / 9;

function split(gas: Map<number, bigint>) {
  const perTrack = Number(gas.get(1_000)! - gas.get(100)!) / 900;
  return { perTrack, fixed: Number(gas.get(1)!) - perTrack };
}
const fresh = split(gasNew);
const again = split(gasExisting);

const rows: [string, number, number?][] = [
  ["mintTrack (first, cold contract counters)", Number(mintGas[0])],
  ["mintTrack (creator's 1st track)", Number(mintGas[1])],
  ["mintTrack (creator's 2nd track)", Number(mintGas[2])],
  ...SIZES.map((s): [string, number] => [`commitPlays new ${s}`, Number(gasNew.get(s))]),
  ...SIZES.map((s): [string, number] => [`commitPlays existing ${s}`, Number(gasExisting.get(s))]),
  ["commitPlays.perTrack.new", fresh.perTrack, TARGETS.perTrackNew],
  ["commitPlays.perTrack.existing", again.perTrack, TARGETS.perTrackExisting],
  ["commitPlays.fixed (existing)", again.fixed, TARGETS.fixed],
  ["commitPlays.fixed (new)", fresh.fixed],
  ["existing: per track w/o creator write", trackOnly],
  ["existing: one creator write", 10 * (again.perTrack - trackOnly)],
  ["existing: fixed w/o creator write", Number(gasExisting.get(1)!) - trackOnly - 10 * (again.perTrack - trackOnly)],
  ["existing 1: intrinsic (21,000 + calldata)", intrinsic.get("existing 1")!],
  ["existing 1: execution", Number(gasExisting.get(1)!) - intrinsic.get("existing 1")!],
];
for (const [name, gas, target] of rows) {
  const verdict = target === undefined ? "" : gas <= target ? `  <= ${target} OK` : `  > ${target} OVER`;
  console.log(`${name.padEnd(44)} ${gas.toFixed(1).padStart(12)}${verdict}`);
}
console.log(
  "GAS_JSON " +
    JSON.stringify({
      mintTrack: { firstOfCreator: Number(mintGas[1]), laterOfCreator: Number(mintGas[2]) },
      commitPlays: {
        new: Object.fromEntries([...gasNew].map(([k, v]) => [k, Number(v)])),
        existing: Object.fromEntries([...gasExisting].map(([k, v]) => [k, Number(v)])),
        perTrackNew: fresh.perTrack,
        perTrackExisting: again.perTrack,
        fixed: again.fixed,
        fixedNew: fresh.fixed,
        existingTrackWithoutCreatorWrite: trackOnly,
        existingCreatorWrite: 10 * (again.perTrack - trackOnly),
        fixedWithoutCreatorWrite: Number(gasExisting.get(1)!) - trackOnly - 10 * (again.perTrack - trackOnly),
      },
    }),
);
