/**
 * The web app next to the stack: `vite build` into app/dist, then a small static server for the build and its
 * `/config.json` (scripts/stack/app-config.ts). Files are gzipped once, in memory, for clients that accept it; hashed
 * assets are cached for good, index.html and config.json never.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";
import type { AppConfig } from "./app-config.js";
import { ROOT } from "./config.js";
import { spawnInGroup } from "./processes.js";

export const APP_DIR = join(ROOT, "app");
export const APP_DIST = join(APP_DIR, "dist");
const VITE_CLI = join(APP_DIR, "node_modules/vite/bin/vite.js");

/** `vite build` of app/ into app/dist; rejects with its output when it fails. */
export async function buildApp(): Promise<void> {
  const child = spawnInGroup({
    name: "vite build",
    args: [VITE_CLI, "build", "--logLevel", "warn"],
    cwd: APP_DIR,
    // A NODE_ENV from the caller (a test runner sets one) would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: "production", FORCE_COLOR: "0", NO_COLOR: "1" },
    keepChars: 20_000,
  });
  const { code, signal } = await child.exited;
  if (code !== 0) throw new Error(`vite build failed (${code ?? signal}); is app/node_modules installed (bash scripts/setup.sh)?\n${child.output()}`);
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff2": "font/woff2",
};
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".json", ".svg"]);

export type ServeAppParameters = { distDir?: string; config: AppConfig; host: string; port: number };
export type ServeAppReturnType = { url: string; server: Server; close(): Promise<void> };

/** Serves the build in `distDir` and `config` as /config.json on host:port (0: any free port). */
export async function serveApp({ distDir = APP_DIST, config, host, port }: ServeAppParameters): Promise<ServeAppReturnType> {
  const root = resolve(distDir);
  const configBody = Buffer.from(JSON.stringify(config));
  const cache = new Map<string, { body: Buffer; gzip: Buffer | undefined }>();
  const load = async (path: string) => {
    let entry = cache.get(path);
    if (entry === undefined) {
      const body = await readFile(path);
      entry = { body, gzip: COMPRESSIBLE.has(extname(path)) && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined };
      cache.set(path, entry);
    }
    return entry;
  };
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://app");
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      if (url.pathname === "/config.json") {
        response.writeHead(200, { "content-type": TYPES[".json"]!, "cache-control": "no-store" }).end(request.method === "HEAD" ? undefined : configBody);
        return;
      }
      // The app routes with the hash, so every other path is a file of the build (or index.html for "/").
      const wanted = normalize(join(root, decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname)));
      if (!wanted.startsWith(root + sep)) {
        response.writeHead(400).end();
        return;
      }
      let file: { body: Buffer; gzip: Buffer | undefined };
      try {
        file = await load(wanted);
      } catch {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      const gzip = file.gzip !== undefined && /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
      const body = gzip ? file.gzip! : file.body;
      response.writeHead(200, {
        "content-type": TYPES[extname(wanted)] ?? "application/octet-stream",
        "content-length": body.length,
        // Vite names every asset by its hash: a changed file is a new URL.
        "cache-control": wanted.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
        vary: "accept-encoding",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      });
      response.end(request.method === "HEAD" ? undefined : body);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolvePromise());
  });
  const { port: bound } = server.address() as AddressInfo;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
