import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

// Hardhat cannot download compilers here, so it compiles with the WASM build of the pinned `solc` package.
const SOLC_VERSION = "0.8.28";

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 20_000 },
    },
  },
  paths: {
    ignition: "deploy",
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
    },
  },
});
