/**
 * A hash router in a few lines (no dependency): `#/coins/0xabc` → { page: "coins", rest: ["0xabc"] }. Hash routes
 * need nothing from the server, so the build runs on any static host.
 */
import { useSyncExternalStore } from "react";

export type Route = { path: string; segments: string[]; query: URLSearchParams };

function read(): string {
  return location.hash.replace(/^#/, "") || "/";
}

function subscribe(callback: () => void): () => void {
  window.addEventListener("hashchange", callback);
  return () => window.removeEventListener("hashchange", callback);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, read);
  const [path = "/", search = ""] = hash.split("?");
  return { path, segments: path.split("/").filter((segment) => segment !== "").map(decodeURIComponent), query: new URLSearchParams(search) };
}

export function href(path: string): string {
  return `#${path}`;
}

export function navigate(path: string): void {
  location.hash = path;
}
