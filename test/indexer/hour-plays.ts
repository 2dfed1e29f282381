import { expect } from "chai";
import { addHourPlays, decodeHourPlays } from "../../indexer/lib/math.js";

/** The packed plays per track of one UTC hour (platform_hourly.trackPlays), which /tracks/top's windows add up. */
describe("indexer: an hour's packed plays per track", function () {
  it("adds batches into one entry per track, ascending by id, 16 bytes each", function () {
    const first = addHourPlays("0x", new Map([[7n, 3n], [2n, 5n]]));
    expect(first).to.equal(`0x${"2".padStart(16, "0")}${"5".padStart(16, "0")}${"7".padStart(16, "0")}${"3".padStart(16, "0")}`);
    const second = addHourPlays(first, new Map([[7n, 10n], [4n, 1n]]));
    expect([...decodeHourPlays(second)]).to.deep.equal([
      [2n, 5n],
      [4n, 1n],
      [7n, 13n],
    ]);
  });

  it("keeps a track played 0 times (a 0 delta is a play entry) and an empty batch changes nothing", function () {
    const packed = addHourPlays("0x", new Map([[9n, 0n]]));
    expect([...decodeHourPlays(packed)]).to.deep.equal([[9n, 0n]]);
    expect(addHourPlays(packed, new Map())).to.equal(packed);
    expect(decodeHourPlays("0x").size).to.equal(0);
  });

  it("holds 64-bit track ids and counts beyond a batch's 32-bit deltas", function () {
    const big = 2n ** 64n - 1n;
    const packed = addHourPlays(addHourPlays("0x", new Map([[big, 2n ** 32n - 1n]])), new Map([[big, 2n ** 32n - 1n]]));
    expect([...decodeHourPlays(packed)]).to.deep.equal([[big, 2n ** 33n - 2n]]);
  });
});
