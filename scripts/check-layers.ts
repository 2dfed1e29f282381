/**
 * The relayer's folders stand in layers, and this check keeps them so: no import cycle between files (madge), none
 * between folders, and each folder imports only the layers below it.
 *
 *   crypto                      → nothing of ours but errors.ts
 *   repo, chain, evidence       → crypto (and config, deployments, errors)
 *   stores                      → evidence
 *   plays, batcher, pipeline,
 *   stream, audit               → the layers above
 *   api                         → everything below it
 *
 *   node scripts/check-layers.ts        # exit 1 naming every cycle and every import that breaks a layer
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import madge from "madge";

const ROOT = resolve(import.meta.dirname, "..", "relayer", "src");

/** What each folder may import besides itself; files at the root (errors.ts, config.ts, …) are named by file. */
export const ALLOWED: Record<string, readonly string[]> = {
  crypto: ["errors.ts"],
  repo: ["crypto", "errors.ts"],
  chain: ["crypto", "errors.ts", "config.ts", "deployments.ts"],
  evidence: ["crypto", "errors.ts"],
  stores: ["evidence", "crypto", "errors.ts"],
  plays: ["repo", "chain", "crypto", "errors.ts"],
  pipeline: ["repo", "chain", "crypto", "evidence", "stores", "errors.ts", "config.ts"],
  batcher: ["pipeline", "repo", "chain", "crypto", "evidence", "stores", "errors.ts", "config.ts"],
  stream: ["pipeline", "batcher", "repo", "chain", "crypto", "errors.ts", "config.ts"],
  audit: ["repo", "chain", "crypto", "evidence", "stores", "errors.ts"],
};

export type LayerReport = { fileCycles: string[][]; folderCycles: string[][]; violations: string[] };

/** Where a file lives: its first folder under relayer/src, or its own name for a file at the root. */
function layerOf(file: string): string {
  const slash = file.indexOf("/");
  return slash === -1 ? file : file.slice(0, slash);
}

export async function checkLayers(root = ROOT): Promise<LayerReport> {
  const result = await madge(root, { fileExtensions: ["ts", "js"], excludeRegExp: [/\.d\.ts$/] });
  const graph = result.obj();
  const edges = new Map<string, Set<string>>();
  const violations: string[] = [];
  for (const [file, imports] of Object.entries(graph)) {
    const from = layerOf(file);
    for (const target of imports) {
      if (target.startsWith("..")) continue;
      const to = layerOf(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
      const allowed = ALLOWED[from];
      if (allowed !== undefined && !allowed.includes(to)) violations.push(`${file} imports ${target}: ${from}/ may import ${allowed.join(", ")}`);
    }
  }
  return { fileCycles: result.circular(), folderCycles: cyclesOf(edges), violations };
}

/** Every pair of folders that reach each other, as [a, b] with a < b. */
function cyclesOf(edges: Map<string, Set<string>>): string[][] {
  const reaches = (from: string, to: string) => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      for (const next of edges.get(stack.pop()!) ?? []) {
        if (next === to) return true;
        if (!seen.has(next)) stack.push(next), seen.add(next);
      }
    }
    return false;
  };
  const cycles: string[][] = [];
  for (const [from, targets] of edges) for (const to of targets) if (from < to && reaches(to, from)) cycles.push([from, to]);
  return cycles;
}

async function main(): Promise<void> {
  const { fileCycles, folderCycles, violations } = await checkLayers();
  for (const cycle of fileCycles) console.error(`file cycle: ${cycle.join(" → ")}`);
  for (const [a, b] of folderCycles) console.error(`folder cycle: ${a}/ ⇄ ${b}/`);
  for (const violation of violations) console.error(`layer: ${violation}`);
  if (fileCycles.length + folderCycles.length + violations.length > 0) process.exit(1);
  console.log("relayer/src: no import cycle between files or folders; every folder imports only the layers below it");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
