import { randomBytes } from "node:crypto";
import { keccak256, zeroAddress, zeroHash, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { ENGAGEMENT_TYPES, playDomain, type Engagement } from "../../relayer/src/crypto/eip712.js";
import type { EngagementAction } from "../../relayer/src/engagement/schema.js";
import type { SignedEngagement } from "../../relayer/src/evidence/engagement.js";
import type { Database } from "../../relayer/src/repo/db/database.js";

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

/** A fan's Engagement with a real EIP-712 signature in MusicNFT's domain; unused fields zero, as docs/engagement.md says. */
export async function signEngagement(
  fan: PrivateKeyAccount,
  domain: { chainId: number; musicNFT: Address },
  fields: Partial<Omit<Engagement, "fan">> & { action: string },
): Promise<SignedEngagement> {
  const message: Engagement = {
    fan: fan.address,
    action: fields.action,
    trackId: fields.trackId ?? 0n,
    artist: fields.artist ?? zeroAddress,
    subject: fields.subject ?? zeroHash,
    text: fields.text ?? "",
    value: fields.value ?? 0,
    nonce: fields.nonce ?? (`0x${randomBytes(32).toString("hex")}` as Hex),
    issuedAt: fields.issuedAt ?? 1_900_000_000n,
  };
  const signature = await fan.signTypedData({ domain: playDomain(domain), types: ENGAGEMENT_TYPES, primaryType: "Engagement", message });
  return { ...message, signature };
}

/**
 * Stores an accepted event as ingestion (POST /v1/engagement) would: the signed fields in lowercase hex and whether it
 * changed state. Tests of the batch pipeline use it to stand in for ingestion; returns the row id.
 */
export async function storeEngagement(db: Database, event: SignedEngagement, effective = true): Promise<string> {
  const lower = (value: string) => value.toLowerCase();
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO engagement_events (fan, action, track_id, artist, subject, text, value, nonce, issued_at, signature, signature_hash, effective)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id::text`,
    [
      lower(event.fan),
      event.action,
      event.trackId.toString(),
      lower(event.artist),
      lower(event.subject),
      event.text,
      event.value,
      lower(event.nonce),
      event.issuedAt.toString(),
      lower(event.signature),
      keccak256(event.signature),
      effective,
    ],
  );
  return rows[0]!.id;
}
