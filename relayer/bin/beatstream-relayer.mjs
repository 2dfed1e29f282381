#!/usr/bin/env node
// The relayer is TypeScript run through tsx (no build step); this launcher registers tsx's loader and hands over.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
await main(process.argv.slice(2));
