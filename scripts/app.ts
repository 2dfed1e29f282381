/**
 * `npm run app:serve`: builds the web app and serves it on APP_PORT (default 4173) with the /config.json of the stack
 * running now (`npm start` serves it already), or of another deployment named by APP_CHAIN_ID, APP_RPC_URL,
 * APP_RELAYER_URL and APP_INDEXER_URL with DEPLOYMENTS_DIR holding its `<chainId>.json` (docs/app.md).
 */
import { appConfigFromStack } from "./stack/app-config.js";
import { buildApp, serveApp } from "./stack/app.js";
import { loadStackConfig, ROOT } from "./stack/config.js";

const stack = loadStackConfig();
const config = await appConfigFromStack({ root: ROOT, env: process.env });
await buildApp();
const app = await serveApp({ config, host: stack.STACK_HOST, port: stack.APP_PORT });
process.stdout.write(`BeatStream app for chain ${config.chainId} (RPC ${config.rpcUrl}, relayer ${config.relayerUrl}, indexer ${config.indexerUrl})\nopen ${app.url}   Ctrl-C stops\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
