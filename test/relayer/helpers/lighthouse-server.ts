import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { importer } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";

/**
 * Fault modes, each consumed one request at a time so a test can say "fail twice, then work".
 * `uploadFailures`: answer 500 `{ error }` without storing. `stalledUploads`: never answer and store nothing
 * (a hung server). `slowUploads`: store, then answer only after `slowMs` (a response lost to the client's timeout). `wrongCid`: store, but answer another CID in `Hash`.
 * `garbledUploads`: answer 200 with JSON that is not `{ Name, Hash, Size }`, storing nothing (a proxy's page).
 * `gatewayFailures`: the gateway answers 500. `corruptReads`: the gateway serves flipped bytes.
 */
export interface LighthouseFaults {
  uploadFailures: number;
  stalledUploads: number;
  slowUploads: number;
  garbledUploads: number;
  slowMs: number;
  wrongCid: boolean;
  gatewayFailures: number;
  corruptReads: number;
}

export interface LighthouseStandIn {
  /** Base URL for the SDK's `lighthouseNode`/`lighthouseAPI` and for the gateway. */
  url: string;
  faults: LighthouseFaults;
  /** Content by CID, as uploaded. */
  blobs: Map<string, Uint8Array>;
  /** How many times each CID was stored (a write of bytes the server already had counts too). */
  writes: Map<string, number>;
  /** Every upload request, in order, with the outcome the server chose. */
  uploads: { authorization: string | undefined; outcome: "stored" | "failed" | "stalled" | "slow" | "garbled" | "wrong-cid" | "unauthorized" }[];
  /** Gateway requests, in order. */
  reads: { method: string; cid: string; status: number }[];
  close(): Promise<void>;
}

/**
 * A local stand-in for Lighthouse on 127.0.0.1, speaking the upload API the way `@lighthouse-web3/sdk` 0.4.7's
 * `uploadBuffer` calls it (`POST /api/v0/add?cid-version=1`, multipart field `file`, `Authorization: Bearer`,
 * answer `{ Name, Hash, Size }`) plus an IPFS gateway (`GET`/`HEAD /ipfs/:cid`). Its CIDs come from
 * ipfs-unixfs-importer with the library's own defaults — deliberately not the relayer's `cidOf`, so a store
 * test compares two computations.
 */
export async function startLighthouseServer(faults: Partial<LighthouseFaults> = {}): Promise<LighthouseStandIn> {
  const state: Omit<LighthouseStandIn, "url" | "close"> = {
    faults: { uploadFailures: 0, stalledUploads: 0, slowUploads: 0, garbledUploads: 0, slowMs: 0, wrongCid: false, gatewayFailures: 0, corruptReads: 0, ...faults },
    blobs: new Map(),
    writes: new Map(),
    uploads: [],
    reads: [],
  };
  const timers = new Set<NodeJS.Timeout>();

  async function handleUpload(request: IncomingMessage, response: ServerResponse) {
    const authorization = request.headers.authorization;
    if (!authorization?.startsWith("Bearer ") || authorization === "Bearer ") {
      state.uploads.push({ authorization, outcome: "unauthorized" });
      return json(response, 401, { error: "Authentication failed" });
    }
    const form = await new Request("http://stand-in/", {
      method: "POST",
      headers: headersOf(request),
      body: Readable.toWeb(request),
      duplex: "half",
    }).formData();
    const file = form.get("file");
    if (!(file instanceof Blob)) return json(response, 400, { error: "no file field" });
    if (state.faults.uploadFailures > 0) {
      state.faults.uploadFailures--;
      state.uploads.push({ authorization, outcome: "failed" });
      return json(response, 500, { error: "stand-in: internal error" });
    }
    if (state.faults.stalledUploads > 0) {
      state.faults.stalledUploads--;
      state.uploads.push({ authorization, outcome: "stalled" });
      return; // the connection stays open until the client gives up or the stand-in closes
    }
    if (state.faults.garbledUploads > 0) {
      state.faults.garbledUploads--;
      state.uploads.push({ authorization, outcome: "garbled" });
      return json(response, 200, { message: "ok" });
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const cid = await unixfsCid(bytes);
    state.blobs.set(cid, bytes);
    state.writes.set(cid, (state.writes.get(cid) ?? 0) + 1);
    const name = file instanceof File ? file.name : "blob";
    if (state.faults.wrongCid) {
      state.uploads.push({ authorization, outcome: "wrong-cid" });
      return json(response, 200, { Name: name, Hash: await unixfsCid(new TextEncoder().encode(`not ${cid}`)), Size: String(bytes.length) });
    }
    const answer = { Name: name, Hash: cid, Size: String(bytes.length) };
    if (state.faults.slowUploads > 0) {
      state.faults.slowUploads--;
      state.uploads.push({ authorization, outcome: "slow" });
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!response.destroyed) json(response, 200, answer);
      }, state.faults.slowMs);
      timers.add(timer);
      return;
    }
    state.uploads.push({ authorization, outcome: "stored" });
    json(response, 200, answer);
  }

  function handleGateway(request: IncomingMessage, response: ServerResponse, cid: string) {
    const method = request.method ?? "GET";
    let status = 200;
    let body: Uint8Array | undefined = state.blobs.get(cid);
    if (state.faults.gatewayFailures > 0) {
      state.faults.gatewayFailures--;
      status = 500;
    } else if (body === undefined) {
      status = 404;
    } else if (method === "GET" && state.faults.corruptReads > 0) {
      state.faults.corruptReads--;
      body = body.map((byte) => byte ^ 0xff);
    }
    state.reads.push({ method, cid, status });
    if (status !== 200 || body === undefined) return json(response, status, { error: status === 404 ? "not found" : "stand-in: gateway error" });
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
    response.end(method === "HEAD" ? undefined : body);
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    const gateway = /^\/ipfs\/([A-Za-z0-9]+)$/.exec(url.pathname);
    const work =
      request.method === "POST" && url.pathname === "/api/v0/add"
        ? handleUpload(request, response)
        : (request.method === "GET" || request.method === "HEAD") && gateway
          ? Promise.resolve(handleGateway(request, response, gateway[1]))
          : Promise.resolve(json(response, 404, { error: "no such route" }));
    work.catch((error: unknown) => json(response, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("stand-in is not listening on TCP");
  const { port }: AddressInfo = address;

  return {
    ...state,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** CIDv1 with ipfs-unixfs-importer's defaults (what `ipfs add --cid-version=1` gives), blocks discarded. */
async function unixfsCid(bytes: Uint8Array): Promise<string> {
  let root: CID | undefined;
  for await (const entry of importer([{ content: bytes }], { put: async (cid) => cid })) root = entry.cid;
  return String(root);
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return headers;
}

function json(response: ServerResponse, status: number, body: unknown) {
  if (response.headersSent) return;
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
