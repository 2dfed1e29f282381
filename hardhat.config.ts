import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

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
  networks: {
    // `npm start`'s chain (`hardhat --network stack node`): every transaction mined at once (instant receipts for the
    // relayer and the simulator) plus a block every second, so Ponder's realtime sync and block time keep moving.
    // Blocks may share a timestamp, so many transactions per second never push the chain's clock ahead of the wall
    // clock (the relayer's play windows and the indexer's rolling windows compare the two).
    stack: {
      type: "edr-simulated",
      chainId: 31337,
      allowBlocksWithSameTimestamp: true,
      mining: { auto: true, interval: 1_000 },
    },
    // A node on this machine; `npm start` points it at its own chain port.
    localhost: {
      type: "http",
      url: configVariable("LOCALHOST_RPC_URL", { default: "http://127.0.0.1:8545" }),
    },
    // Public test networks: URL and deployer key from the environment (or `npx hardhat keystore set NAME`),
    // read only when the network is used. Parameters per network: deploy/parameters/<network>.json.
    baseSepolia: {
      type: "http",
      chainType: "op",
      chainId: 84_532,
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    filecoinCalibration: {
      type: "http",
      chainId: 314_159,
      url: configVariable("FILECOIN_CALIBRATION_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
  test: {
    solidity: {
      profiles: {
        // `npm test` and CI: 256 fuzz runs; invariants 256 sequences × 500 calls (Hardhat's defaults), except where a
        // suite's inline `hardhat-config` says otherwise.
        default: {
          fuzz: { runs: 256 },
        },
        // `npm run test:deep`: the Solidity suites at 10,000 fuzz runs and 1,000 invariant sequences of 500 calls
        // (hours on two cores; not in CI).
        deep: {
          fuzz: { runs: 10_000 },
          invariant: { runs: 1_000, depth: 500 },
        },
      },
    },
  },
});
