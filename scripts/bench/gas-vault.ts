/**
 * Measures BeatStreamVault.settle: receipt gasUsed (21,000 base included) of settling 1 and 100
 * vouchers from different listeners to one artist, first and repeated (higher amounts), and the
 * marginal gas per voucher = (gas(100) - gas(1)) / 99. Run: `npx hardhat run scripts/bench/gas-vault.ts`.
 */
import { network } from "hardhat";
import { measureSettleGas } from "../../test/helpers/vault/gas.js";

const connection = await network.create();
const result = await measureSettleGas(connection);
console.log(JSON.stringify(result, (_, v) => (typeof v === "bigint" ? Number(v) : v), 2));
