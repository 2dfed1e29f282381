/**
 * Fails when any contract under contracts/ (mocks excepted) has less line coverage than the floor.
 * Reads the lcov report that `hardhat test --coverage` writes. Usage: node scripts/check-coverage.ts [floor%]
 */
import { readFileSync } from "node:fs";

const floor = Number(process.argv[2] ?? 95);
const lcov = readFileSync("coverage/lcov.info", "utf8");

const rows: { file: string; percent: number; hit: number; found: number }[] = [];
for (const record of lcov.split("end_of_record")) {
  const file = /^SF:(.+)$/m.exec(record)?.[1]?.trim();
  if (!file || !file.includes("contracts/") || file.includes("contracts/mocks/")) continue;
  const found = Number(/^LF:(\d+)$/m.exec(record)?.[1] ?? 0);
  const hit = Number(/^LH:(\d+)$/m.exec(record)?.[1] ?? 0);
  if (found === 0) continue; // interfaces have no executable lines
  rows.push({ file: file.slice(file.indexOf("contracts/")), percent: (100 * hit) / found, hit, found });
}

if (rows.length === 0) throw new Error("coverage/lcov.info lists no contract: run `npm run test:coverage` first");
console.table(rows.map((r) => ({ contract: r.file, lines: `${r.hit}/${r.found}`, "%": r.percent.toFixed(2) })));
const below = rows.filter((r) => r.percent < floor);
if (below.length > 0) {
  console.error(`line coverage below ${floor} %: ${below.map((r) => r.file).join(", ")}`);
  process.exit(1);
}
console.log(`line coverage ≥ ${floor} % for all ${rows.length} contracts`);
