import { randomBytes } from "node:crypto";
import { zeroAddress, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { ENGAGEMENT_TYPES, playDomain, type Engagement } from "../../relayer/src/crypto/eip712.js";
import type { EngagementAction } from "../../relayer/src/engagement/schema.js";

export const ZERO32: Hex = `0x${"0".repeat(64)}`;

export function randomId(): Hex {
  return `0x${randomBytes(32).toString("hex")}`;
}

export type EventFields = Partial<Omit<Engagement, "fan" | "action">> & { issuedAt: bigint };

/** The struct a wallet signs for `action`, unused fields zero. */
export function engagementOf(fan: Address, action: EngagementAction, fields: EventFields): Engagement {
  return {
    fan,
    action,
    trackId: fields.trackId ?? 0n,
    artist: fields.artist ?? zeroAddress,
    subject: fields.subject ?? ZERO32,
    text: fields.text ?? "",
    value: fields.value ?? 0,
    nonce: fields.nonce ?? randomId(),
    issuedAt: fields.issuedAt,
  };
}

/** The JSON item a fan's app posts: a real EIP-712 signature (viem) over the event. */
export async function signedEvent(fan: PrivateKeyAccount, domain: { chainId: number; musicNFT: Address }, action: EngagementAction, fields: EventFields) {
  const event = engagementOf(fan.address, action, fields);
  const signature = await fan.signTypedData({ domain: playDomain(domain), types: ENGAGEMENT_TYPES, primaryType: "Engagement", message: event });
  return {
    ...event,
    trackId: event.trackId.toString(),
    issuedAt: Number(event.issuedAt),
    signature,
  };
}
export type SignedEventItem = Awaited<ReturnType<typeof signedEvent>>;

export function postEvents(app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, events: unknown[], ip = "10.0.0.1") {
  return app.request("/v1/engagement", {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify({ events }),
  });
}
