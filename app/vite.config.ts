/**
 * The web app's build. `npm run app:dev` (root) runs this dev server with hot reload; its `/config.json` comes from the
 * running stack (STACK_DATA_DIR/stack.json, written by `npm start`) and deployments/<chainId>.json, exactly as the
 * served build gets it from `npm start` (scripts/stack/app.ts). Nothing in the bundle names an address or a URL.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { appConfigFromStack } from "../scripts/stack/app-config.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Serves /config.json in `vite dev` and `vite preview` from the stack that is running now (read per request). */
function stackConfig(): Plugin {
  // Returns nothing: a function returned from configureServer would be taken for a post-middleware hook.
  const serve = (server: { middlewares: { use: (path: string, handler: (req: unknown, res: import("node:http").ServerResponse) => void) => unknown } }): void => {
    server.middlewares.use("/config.json", (_req, res) => {
      appConfigFromStack({ root: ROOT, env: process.env })
        .then((config) => {
          res.setHeader("content-type", "application/json");
          res.setHeader("cache-control", "no-store");
          res.end(JSON.stringify(config));
        })
        .catch((error: unknown) => {
          res.statusCode = 503;
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ error: { code: "no_stack", message: error instanceof Error ? error.message : String(error) } }));
        });
    });
  };
  return { name: "beatstream-stack-config", configureServer: serve, configurePreviewServer: serve };
}

/**
 * The SDKs the app uses are this repository's own source, imported by their package names (package.json "exports"):
 * the client SDK (signed plays and engagement) and the streaming client. viem is deduplicated so that the SDK and the
 * app share one copy.
 */
const SDK = {
  "beatstream-protocol/client": fileURLToPath(new URL("../client/index.ts", import.meta.url)),
  "beatstream-protocol/stream-client": fileURLToPath(new URL("../relayer/src/stream/client.ts", import.meta.url)),
};

export default defineConfig({
  plugins: [react(), stackConfig()],
  resolve: { alias: SDK, dedupe: ["viem"] },
  // The ABIs are imported from indexer/abis, generated from the Hardhat artifacts (one source for indexer and app).
  server: { fs: { allow: [ROOT] }, port: 5173, strictPort: false },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
});
