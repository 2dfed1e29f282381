import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { renderAbiModules } from "../../scripts/generate-abis.js";

describe("indexer ABIs", function () {
  it("the committed indexer/abis/*.ts equal a fresh generation from the Hardhat build", async function () {
    // `hardhat test` compiles first, so the artifacts are those of the current contracts.
    for (const module of await renderAbiModules()) {
      const committed = await readFile(module.path, "utf8").catch(() => "(missing)");
      expect(committed, `${module.path} is stale: run npm run indexer:abis`).to.equal(module.content);
    }
  });
});
