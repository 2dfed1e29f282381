/** The layout (skip link, nav, wallet) and the routes. Pages live in pages/, one file per route family. */
import { lazy, Suspense, useEffect, useRef } from "react";
import { AccountBox, WalletPanel } from "./components/Wallet.tsx";
import { useAppConfig } from "./config.ts";
import { href, useRoute } from "./router.ts";
import { Loading } from "./components/ui.tsx";
import { HomePage } from "./pages/Home.tsx";

// Each page is its own chunk: the home page loads without the chart library, the trade panel or the batch auditor.
const ArtistPage = lazy(() => import("./pages/Artist.tsx").then((module) => ({ default: module.ArtistPage })));
const CoinPage = lazy(() => import("./pages/Coin.tsx").then((module) => ({ default: module.CoinPage })));
const CoinsPage = lazy(() => import("./pages/Coins.tsx").then((module) => ({ default: module.CoinsPage })));
const ListenPage = lazy(() => import("./pages/Listen.tsx").then((module) => ({ default: module.ListenPage })));
const OperatorPage = lazy(() => import("./pages/Operator.tsx").then((module) => ({ default: module.OperatorPage })));
const PortfolioPage = lazy(() => import("./pages/Portfolio.tsx").then((module) => ({ default: module.PortfolioPage })));

const NAV = [
  { path: "/listen", label: "Listen" },
  { path: "/coins", label: "Coins" },
  { path: "/portfolio", label: "Portfolio" },
  { path: "/artist", label: "Artist" },
  { path: "/operator", label: "Operator" },
] as const;

function page(segments: string[]) {
  const [first, second] = segments;
  switch (first) {
    case undefined:
      return { title: "Home", element: <HomePage /> };
    case "listen":
      return { title: "Listen", element: <ListenPage trackId={second} /> };
    case "coins":
      return second === undefined ? { title: "Coins", element: <CoinsPage /> } : { title: "Coin", element: <CoinPage address={second} /> };
    case "portfolio":
      return { title: "Portfolio", element: <PortfolioPage /> };
    case "artist":
      return { title: "Artist", element: <ArtistPage address={second} /> };
    case "operator":
      return { title: "Operator", element: <OperatorPage /> };
    default:
      return {
        title: "Not found",
        element: (
          <p className="empty">
            No page here. <a href={href("/")}>Home</a>
          </p>
        ),
      };
  }
}

export function App() {
  const app = useAppConfig();
  const route = useRoute();
  const current = page(route.segments);
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(route.path);
  useEffect(() => {
    document.title = `${current.title} · BeatStream`;
    // After a navigation, keyboard and screen-reader users land on the new page's content; on the first load the tab
    // order starts at the top, with the skip link. (Compared by path, so an effect run twice changes nothing.)
    if (shownPath.current !== route.path) {
      shownPath.current = route.path;
      main.current?.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  }, [route.path, current.title]);
  return (
    <>
      <a className="skip" href="#main" onClick={(event) => (event.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href={href("/")}>
          <span aria-hidden="true">◉</span> BeatStream
        </a>
        <nav aria-label="main">
          {NAV.map((item) => {
            const active = route.path === item.path || route.path.startsWith(`${item.path}/`);
            return (
              <a key={item.path} href={href(item.path)} aria-current={active ? "page" : undefined}>
                {item.label}
              </a>
            );
          })}
        </nav>
        <WalletPanel />
      </header>
      {app.devWallet ? (
        <div className="banner" role="note">
          Local chain {app.chainId}: the dev wallet uses Hardhat's public test accounts. Never send real funds to them.
        </div>
      ) : null}
      <div className="account-strip">
        <AccountBox />
      </div>
      <main id="main" ref={main} tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>{current.element}</Suspense>
      </main>
      <footer className="muted small">
        chain {app.chainId} · relayer <code>{app.relayerUrl}</code> · indexer <code>{app.indexerUrl}</code>
      </footer>
    </>
  );
}
