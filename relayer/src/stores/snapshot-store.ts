/** Where a snapshot went: its CIDv1 (`ipfs add --cid-version=1`), its Filecoin piece CID, its size in bytes. */
export interface StoredSnapshot {
  cid: string;
  pieceCid: string;
  size: number;
}

/**
 * A content-addressed home for batch snapshots. Every implementation computes the CID locally, so the CID a
 * batch commits on-chain never depends on a remote service's word, and re-verifies bytes on the way out.
 */
export interface SnapshotStore {
  /** Stores `bytes` (idempotent: storing the same bytes again writes nothing new) and says where they are. */
  put(bytes: Uint8Array): Promise<StoredSnapshot>;
  /** The bytes whose CID is `cid`, re-hashed: `SnapshotNotFoundError`, `SnapshotCorruptError`, `InvalidCidError`. */
  get(cid: string): Promise<Uint8Array>;
  /** Whether the store holds `cid` (without reading or verifying the content). */
  has(cid: string): Promise<boolean>;
}
