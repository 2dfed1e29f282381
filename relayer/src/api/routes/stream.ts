import { Hono } from "hono";
import { upgradeWebSocket } from "@hono/node-server";
import type { WSContext } from "hono/ws";
import type { Hex } from "viem";
import { publicErrorOf } from "../../errors.js";
import { StreamError } from "../../stream/errors.js";
import { clientFrameSchema, type ErrorFrame } from "../../stream/frames.js";
import type { SessionSink } from "../../stream/sessions.js";
import type { StreamService } from "../../stream/service.js";

/**
 * `GET /v1/stream`: the session WebSocket (protocol in docs/stream.md). One session per connection. Every bad frame
 * is answered with an `error` frame carrying a code; nothing a client sends can throw out of this handler.
 */
export function streamSocketRoutes(stream: StreamService) {
  return new Hono().get(
    "/",
    upgradeWebSocket(() => {
      let sessionId: Hex | undefined;
      let opening = false;
      let sink: SessionSink | undefined;
      const reply = (ws: WSContext, frame: object) => {
        try {
          ws.send(JSON.stringify(frame));
        } catch {
          // the socket is closing
        }
      };
      const refuse = (ws: WSContext, error: unknown, ref: string, cumulativeAmount?: bigint) => {
        const { code, message } = publicErrorOf(error);
        const frame: ErrorFrame = { type: "error", code, message, ref, ...(cumulativeAmount === undefined ? {} : { cumulativeAmount: cumulativeAmount.toString() }) };
        reply(ws, frame);
      };
      return {
        onOpen(_event, ws) {
          sink = { send: (frame) => ws.send(frame), close: (code, reason) => ws.close(code, reason) };
        },
        onMessage(event, ws) {
          if (typeof event.data !== "string") return refuse(ws, new StreamError("invalid_message", "frames are JSON text"), "frame");
          let json: unknown;
          try {
            json = JSON.parse(event.data);
          } catch {
            return refuse(ws, new StreamError("invalid_json", "the frame is not valid JSON"), "frame");
          }
          const parsed = clientFrameSchema.safeParse(json);
          if (!parsed.success) {
            const message = parsed.error.issues.map((issue) => `${issue.path.map(String).join(".") || "frame"}: ${issue.message}`).join("; ");
            return refuse(ws, new StreamError("invalid_message", message), "frame");
          }
          const frame = parsed.data;
          if (frame.type === "open") {
            if (sessionId !== undefined || opening) return refuse(ws, new StreamError("session_already_open", "this connection already holds a session"), "open");
            opening = true;
            const { type: _type, ...request } = frame;
            stream.manager.open(request, sink).then(
              (opened) => {
                sessionId = opened.sessionId;
                opening = false;
                reply(ws, opened);
              },
              (error) => {
                opening = false;
                refuse(ws, error, "open");
              },
            );
            return;
          }
          if (sessionId === undefined) return refuse(ws, new StreamError("no_session", "open a session first"), frame.type);
          if (frame.type === "voucher") {
            const { type: _type, ...fields } = frame;
            stream.manager.voucher(sessionId, fields).then(
              (ack) => reply(ws, ack),
              (error) => refuse(ws, error, "voucher", fields.cumulativeAmount),
            );
            return;
          }
          stream.manager.end(sessionId, "client_closed").catch(() => undefined);
        },
        onClose() {
          if (sessionId !== undefined && sink !== undefined) stream.manager.detach(sessionId, sink);
        },
        onError() {
          // A broken socket also emits close, which detaches the session.
        },
      };
    }),
  );
}
