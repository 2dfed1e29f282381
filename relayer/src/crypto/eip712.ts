import { domainSeparator, hexToBytes, type Address, type TypedDataDefinition } from "viem";

/** The EIP-712 `Play` type, field for field as MusicNFT's PLAY_TYPEHASH spells it. */
export const PLAY_TYPES = {
  Play: [
    { name: "listener", type: "address" },
    { name: "trackId", type: "uint256" },
    { name: "startedAt", type: "uint64" },
    { name: "durationSeconds", type: "uint32" },
    { name: "nonce", type: "bytes32" },
  ],
} as const;

/** The EIP-712 `StreamVoucher` type, field for field as BeatStreamVault's STREAM_VOUCHER_TYPEHASH spells it. */
export const STREAM_VOUCHER_TYPES = {
  StreamVoucher: [
    { name: "listener", type: "address" },
    { name: "artist", type: "address" },
    { name: "sessionId", type: "bytes32" },
    { name: "cumulativeAmount", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
} as const;

/**
 * The EIP-712 `Engagement` type: every fan action that is not a play (likes, saves, shares, downloads, follows,
 * playlists, comments, play outcomes), signed in MusicNFT's domain like a play. One struct for all actions, so there
 * is one signature check, one table and one evidence shape; `action` says what it is and which other fields it uses
 * (docs/engagement.md has the table). Nothing on chain verifies it: the snapshot carries it for anyone to check.
 */
export const ENGAGEMENT_TYPES = {
  Engagement: [
    { name: "fan", type: "address" },
    { name: "action", type: "string" },
    { name: "trackId", type: "uint256" },
    { name: "artist", type: "address" },
    { name: "subject", type: "bytes32" },
    { name: "text", type: "string" },
    { name: "value", type: "uint32" },
    { name: "nonce", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
  ],
} as const;

/** An engagement event's signed fields, derived from ENGAGEMENT_TYPES. */
export type Engagement = TypedDataDefinition<typeof ENGAGEMENT_TYPES, "Engagement">["message"];

/** Every action a fan can sign as `Engagement.action` (docs/engagement.md has the table of the fields each one uses). */
export const ENGAGEMENT_ACTIONS = [
  "like",
  "unlike",
  "save",
  "unsave",
  "share",
  "download",
  "follow",
  "unfollow",
  "playlist_create",
  "playlist_rename",
  "playlist_visibility",
  "playlist_add",
  "playlist_remove",
  "playlist_move",
  "playlist_delete",
  "comment",
  "comment_delete",
  "play_complete",
  "play_skip",
] as const;
export type EngagementAction = (typeof ENGAGEMENT_ACTIONS)[number];

/** `Engagement.text` of a `share`: where it was shared. */
export const SHARE_CHANNELS = ["link", "x", "farcaster", "embed", "other"] as const;
export type ShareChannel = (typeof SHARE_CHANNELS)[number];

/** `Engagement.text` of `play_complete` / `play_skip`: where the play started. */
export const PLAY_SOURCES = ["search", "playlist", "profile", "radio", "share", "other"] as const;

/**
 * A play as the relayer handles it, after the input schema: lowercase hex, integers as bigint (uint32 as number).
 * Derived from PLAY_TYPES, so the type and the signed struct cannot drift apart.
 */
export type Play = TypedDataDefinition<typeof PLAY_TYPES, "Play">["message"];

/** A voucher's signed fields, derived from STREAM_VOUCHER_TYPES. */
export type StreamVoucher = TypedDataDefinition<typeof STREAM_VOUCHER_TYPES, "StreamVoucher">["message"];

export type PlayDomainParameters = { chainId: number; musicNFT: Address };
export type VaultDomainParameters = { chainId: number; vault: Address };

/** MusicNFT's EIP-712 domain: name "MusicNFT", version "1". */
export function playDomain({ chainId, musicNFT }: PlayDomainParameters) {
  return { name: "MusicNFT", version: "1", chainId, verifyingContract: musicNFT } as const;
}

/** BeatStreamVault's EIP-712 domain: name "BeatStreamVault", version "1". */
export function vaultDomain({ chainId, vault }: VaultDomainParameters) {
  return { name: "BeatStreamVault", version: "1", chainId, verifyingContract: vault } as const;
}

/** MusicNFT's EIP-712 domain separator, as bytes. */
export function playDomainSeparator(parameters: PlayDomainParameters): Uint8Array {
  return hexToBytes(domainSeparator({ domain: playDomain(parameters) }));
}

/** BeatStreamVault's EIP-712 domain separator, as bytes. */
export function voucherDomainSeparator(parameters: VaultDomainParameters): Uint8Array {
  return hexToBytes(domainSeparator({ domain: vaultDomain(parameters) }));
}
