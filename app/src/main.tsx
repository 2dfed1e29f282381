import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { App } from "./App.tsx";
import { ConfigContext, loadConfig } from "./config.ts";
import "./styles.css";
import { createWagmiConfig, devAccounts, selectedDevAccountIndex } from "./wagmi.ts";

const root = createRoot(document.getElementById("root")!);

async function start(): Promise<void> {
  const config = await loadConfig();
  const accounts = await devAccounts(config);
  const wagmi = createWagmiConfig(config, accounts[selectedDevAccountIndex()] ?? accounts[0]);
  const queries = new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 2_000, refetchOnWindowFocus: false } } });
  root.render(
    <StrictMode>
      <ConfigContext.Provider value={config}>
        <WagmiProvider config={wagmi}>
          <QueryClientProvider client={queries}>
            <App />
          </QueryClientProvider>
        </WagmiProvider>
      </ConfigContext.Provider>
    </StrictMode>,
  );
}

start().catch((error: unknown) => {
  root.render(
    <main className="fatal" role="alert">
      <h1>BeatStream cannot start</h1>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      <p>The app reads its deployment from /config.json; `npm start` serves it (docs/app.md).</p>
    </main>,
  );
});
