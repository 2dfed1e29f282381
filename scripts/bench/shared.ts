/** Pieces every benchmark needs: a throwaway PostgreSQL database, and an in-process chain served over HTTP. */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";

/** Runs `fn` on a fresh database of the cluster at `adminUrl`, dropped afterwards whatever happens. */
export async function withPostgresDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

type Provider = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/** A JSON-RPC endpoint on 127.0.0.1 in front of an in-process provider, so a server process can reach the chain. */
export async function serveJsonRpc(provider: Provider): Promise<{ url: string; server: Server }> {
  const answer = async (call: { id?: unknown; method: string; params?: unknown[] }) => {
    try {
      return { jsonrpc: "2.0", id: call.id ?? null, result: await provider.request({ method: call.method, params: call.params ?? [] }) };
    } catch (error) {
      const { code = -32603, message = String(error), data } = (error ?? {}) as { code?: number; message?: string; data?: unknown };
      return { jsonrpc: "2.0", id: call.id ?? null, error: { code, message, data } };
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const reply = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply, (_, value) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
