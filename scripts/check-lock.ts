/**
 * `npm ci`'s promise without `npm ci`: every package the committed package-lock.json pins and that is installed has
 * exactly the pinned version. `npm ci` itself refuses this lock (it omits other platforms' optional Hardhat EDR
 * builds, see scripts/setup.sh), so the container build runs `npm install --no-save` and then this.
 *
 *   node scripts/check-lock.ts      # exit 1 naming every package whose installed version differs from the lock
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string; link?: boolean; optional?: boolean }>;
};

const differences: string[] = [];
let checked = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === "" || entry.link || entry.version === undefined) continue;
  const manifest = join(ROOT, path, "package.json");
  if (!existsSync(manifest)) {
    // Optional packages for other platforms (and their dependencies) are rightly absent.
    if (!entry.optional) differences.push(`${path}: missing (lock ${entry.version})`);
    continue;
  }
  const installed = (JSON.parse(readFileSync(manifest, "utf8")) as { version?: string }).version;
  if (installed !== entry.version) differences.push(`${path}: installed ${installed}, lock ${entry.version}`);
  checked++;
}
if (differences.length > 0) {
  console.error(`check-lock: ${differences.length} package(s) differ from package-lock.json:\n  ${differences.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-lock: ${checked} installed packages match package-lock.json`);
