/**
 * A minimal JSON-RPC client for the benchmark's chain generator: single calls and batches (one HTTP request for
 * many calls, which is what lets a Hardhat node take thousands of raw transactions per second).
 */
import { Agent, request } from "node:http";

export class RpcError extends Error {
  readonly code = "RPC_ERROR";
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`${method}: ${message}`);
    this.name = "RpcError";
  }
}

export type RpcCall = { method: string; params?: unknown[] };

export type RpcClient = {
  url: string;
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Sends every call in one HTTP request; answers in call order, an RpcError for the first call that failed. */
  batch<T = unknown>(calls: RpcCall[]): Promise<T[]>;
  close(): void;
};

type Reply = { id: number; result?: unknown; error?: { message: string; data?: unknown } };

export type CreateRpcClientParameters = { url: string };
export type CreateRpcClientReturnType = RpcClient;

export function createRpcClient({ url }: CreateRpcClientParameters): CreateRpcClientReturnType {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let nextId = 1;

  function post(body: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            } catch (error) {
              reject(error);
            }
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  async function batch<T>(calls: RpcCall[]): Promise<T[]> {
    if (calls.length === 0) return [];
    const first = nextId;
    nextId += calls.length;
    const replies = (await post(JSON.stringify(calls.map((call, index) => ({ jsonrpc: "2.0", id: first + index, method: call.method, params: call.params ?? [] }))))) as Reply[];
    if (!Array.isArray(replies)) throw new RpcError(calls[0].method, `not a batch answer: ${JSON.stringify(replies).slice(0, 300)}`);
    const byId = new Map(replies.map((reply) => [reply.id, reply]));
    return calls.map((call, index) => {
      const reply = byId.get(first + index);
      if (reply === undefined) throw new RpcError(call.method, "no answer in the batch");
      if (reply.error !== undefined) throw new RpcError(call.method, `${reply.error.message}${reply.error.data === undefined ? "" : ` ${JSON.stringify(reply.error.data)}`}`);
      return reply.result as T;
    });
  }

  return {
    url,
    async call<T>(method: string, params: unknown[] = []) {
      const [result] = await batch<T>([{ method, params }]);
      return result;
    },
    batch,
    close: () => agent.destroy(),
  };
}
