/**
 * The indexer's answer to requests Node's parser refuses (indexer/src/api/client-errors.ts), on a plain HTTP server in
 * this process: Ponder's server is an `http.Server` created and listened to the same way, after the API module
 * loaded. test/indexer/indexer.ts covers the routes through a real `ponder start`.
 */
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { answerClientErrorsAsJson, clientErrorResponse } from "../../indexer/src/api/client-errors.js";

/** Sends `request` as raw bytes and resolves with everything the server wrote before closing. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (received += chunk));
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
  });
}

describe("indexer: requests refused by Node's HTTP parser", () => {
  let server: http.Server;
  let port: number;

  before(async () => {
    answerClientErrorsAsJson();
    answerClientErrorsAsJson(); // ponder dev re-runs the API module: one listener, not two
    server = http.createServer((_request, response) => response.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers an over-long URL with 431 and the API's JSON error", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/tracks?cursor=${"a".repeat(http.maxHeaderSize + 1)}`);
    expect(response.status).to.equal(431);
    expect(response.headers.get("content-type")).to.match(/^application\/json/);
    expect(response.headers.get("access-control-allow-origin")).to.equal("*");
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal("request_too_large");
    expect(body.error.message).to.contain(String(http.maxHeaderSize));
    expect(server.listenerCount("clientError")).to.equal(1);
  });

  it("answers a malformed request line with 400 bad_request", async () => {
    const raw = await rawRequest(port, "NOT HTTP AT ALL\r\n\r\n");
    expect(raw).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4))).to.deep.equal({ error: { code: "bad_request", message: "malformed HTTP request" } });
  });

  it("still serves ordinary requests", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).to.equal("ok");
  });

  it("closes without an answer when the peer reset the connection", () => {
    expect(clientErrorResponse(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).to.equal(undefined);
  });
});
