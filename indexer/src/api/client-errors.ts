/**
 * Requests that Node's HTTP parser refuses before any handler runs — above all a URL or headers over
 * `http.maxHeaderSize` (16 KiB), which Node answers with a bare `431` — answered like every other error of the
 * API: `{ "error": { "code", "message" } }`.
 *
 * Ponder creates its HTTP server itself and hands the app neither the server nor a hook, and Hono never sees these
 * requests, so the only place to answer them is the server's `clientError` event. The server is reached through
 * Node's built-in `net.server.listen` tracing channel, published when a server starts listening; the API module is
 * loaded before Ponder creates its server, so subscribing here catches it. On a Node without that channel nothing
 * is subscribed to and Node's bare answers stay.
 */
import diagnostics from "node:diagnostics_channel";
import http from "node:http";
import type { Duplex } from "node:stream";

export type ClientErrorResponse = { status: number; code: string; message: string };

/** The answer to a request the parser refused, or undefined when the connection is only to be closed. */
export function clientErrorResponse(error: NodeJS.ErrnoException): ClientErrorResponse | undefined {
  switch (error.code) {
    // The peer is gone: nobody to answer.
    case "ECONNRESET":
      return undefined;
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        code: "request_too_large",
        message: `the request line and headers exceed ${http.maxHeaderSize} bytes: shorten the URL (fewer or shorter query parameters) or the headers`,
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, code: "request_timeout", message: "the request was not received in time" };
    default:
      return { status: 400, code: "bad_request", message: "malformed HTTP request" };
  }
}

/** The raw HTTP/1.1 response for `response`; the connection closes after it. */
export function renderClientErrorResponse({ status, code, message }: ClientErrorResponse): string {
  const body = JSON.stringify({ error: { code, message } });
  return [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}`,
    "Content-Type: application/json; charset=UTF-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    // Ponder's routes allow any origin; without this a browser could not read the error.
    "Access-Control-Allow-Origin: *",
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** Node's default `clientError` behaviour, with a JSON body: answer if nothing was written yet, then close. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }): void {
  const response = clientErrorResponse(error);
  if (response !== undefined && socket.writable && (socket.bytesWritten ?? 0) === 0) {
    socket.end(renderClientErrorResponse(response));
    return;
  }
  socket.destroy(error);
}

const answered = new WeakSet<http.Server>();
const INSTALLED = Symbol.for("beatstream.indexer.clientErrors");

/**
 * Gives every HTTP server that starts listening in this process, from now on, the JSON `clientError` answer.
 * Idempotent: `ponder dev` re-runs the API module on every change.
 */
export function answerClientErrorsAsJson(): void {
  const registry = globalThis as { [INSTALLED]?: true };
  if (registry[INSTALLED]) return;
  registry[INSTALLED] = true;
  diagnostics.tracingChannel<unknown, { server?: unknown }>("net.server.listen").subscribe({
    start() {},
    end() {},
    asyncStart() {},
    error() {},
    asyncEnd({ server }) {
      if (!(server instanceof http.Server) || answered.has(server)) return;
      answered.add(server);
      server.on("clientError", answerClientError);
    },
  });
}
