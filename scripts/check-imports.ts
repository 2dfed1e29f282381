/**
 * The relayer's import rules, checked in CI:
 *  - no import cycle between files (madge's `circular`);
 *  - no import cycle between folders of relayer/src (a top-level file such as `errors.ts` counts as its own folder),
 *    so that each folder can be read knowing only the folders below it;
 *  - `crypto/` is pure: it imports nothing of ours outside itself.
 *
 *   node scripts/check-imports.ts         # prints the folder graph; exit 1 naming every broken rule
 */
import { relative, resolve } from "node:path";
import madge from "madge";

const ROOT = resolve(import.meta.dirname, "..");
const SOURCE = resolve(ROOT, "relayer/src");
const PURE = ["crypto"];

const graph = await madge(SOURCE, {
  fileExtensions: ["ts", "js"],
  tsConfig: resolve(ROOT, "tsconfig.json"),
  excludeRegExp: [/\.d\.ts$/],
});
const files = graph.obj();

/** `plays/ingest.ts` → `plays`; `errors.ts` → `errors`; a path outside relayer/src → undefined. */
function folderOf(file: string): string | undefined {
  const path = relative(SOURCE, resolve(SOURCE, file));
  if (path.startsWith("..")) return undefined;
  const [first, ...rest] = path.split("/");
  return rest.length === 0 ? first!.replace(/\.[jt]s$/, "") : first!;
}

const problems: string[] = [];
for (const cycle of graph.circular()) problems.push(`file cycle: ${[...cycle, cycle[0]].join(" → ")}`);

const folders = new Map<string, Map<string, string>>();
for (const [file, imports] of Object.entries(files)) {
  const from = folderOf(file);
  if (from === undefined) continue;
  const edges = folders.get(from) ?? new Map<string, string>();
  folders.set(from, edges);
  for (const imported of imports) {
    const to = folderOf(imported);
    if (to === undefined || to === from) continue;
    if (!edges.has(to)) edges.set(to, `${file} imports ${imported}`);
    if (PURE.includes(from)) problems.push(`${from}/ must import nothing of ours: ${file} imports ${imported}`);
  }
}

// Tarjan's strongly connected components: any component of two or more folders is a folder cycle.
let index = 0;
const order = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function visit(folder: string): void {
  order.set(folder, index);
  low.set(folder, index++);
  stack.push(folder);
  onStack.add(folder);
  for (const next of folders.get(folder)?.keys() ?? []) {
    if (!order.has(next)) {
      visit(next);
      low.set(folder, Math.min(low.get(folder)!, low.get(next)!));
    } else if (onStack.has(next)) low.set(folder, Math.min(low.get(folder)!, order.get(next)!));
  }
  if (low.get(folder) !== order.get(folder)) return;
  const component: string[] = [];
  let member: string;
  do {
    member = stack.pop()!;
    onStack.delete(member);
    component.push(member);
  } while (member !== folder);
  if (component.length < 2) return;
  const members = new Set(component);
  const evidence = component.flatMap((from) =>
    [...(folders.get(from) ?? new Map<string, string>())].filter(([to]) => members.has(to)).map(([to, why]) => `    ${from} → ${to} (${why})`),
  );
  problems.push(`folder cycle between ${component.sort().join(", ")}:\n${evidence.join("\n")}`);
}
for (const folder of folders.keys()) if (!order.has(folder)) visit(folder);

console.log(`check-imports: ${Object.keys(files).length} files in ${relative(ROOT, SOURCE)}/, folders and what they import:`);
for (const [folder, edges] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`  ${folder.padEnd(12)} → ${[...edges.keys()].sort().join(", ") || "(nothing of ours)"}`);
}
if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} broken rule(s):\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
  process.exit(1);
}
console.log("check-imports: no file cycle, no folder cycle, crypto/ is pure");
