import { Piece } from "@web3-storage/data-segment";
import { importer, type WritableStorage } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import { InvalidCidError } from "./errors.js";

const RAW_CODEC = 0x55;
const DAG_PB_CODEC = 0x70;
const SHA2_256 = 0x12;

/**
 * Kubo's `ipfs add --cid-version=1` settings, spelled out rather than left to the importer's defaults so a
 * library upgrade (e.g. to IPIP-499's 1 MiB "unixfs-v1-2025" profile) cannot silently change every CID:
 * 256 KiB fixed-size chunks, raw leaves, balanced DAG of at most 174 links per node, a single chunk is its own
 * root (a raw `bafkrei…` CID), CIDv1.
 */
const KUBO_ADD_CID_V1 = {
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: 262_144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
} as const;

/** The importer wants somewhere to put blocks; computing a CID only needs their hashes, so blocks are dropped. */
const hashOnly: WritableStorage = { put: async (cid) => cid };

/** The CIDv1 that `ipfs add --cid-version=1` gives for `bytes` (base32, `bafk…` raw or `bafy…` dag-pb). */
export async function cidOf(bytes: Uint8Array): Promise<string> {
  let root: CID | undefined;
  for await (const entry of importer([{ content: bytes }], hashOnly, KUBO_ADD_CID_V1)) root = entry.cid;
  if (root === undefined) throw new Error("ipfs-unixfs-importer produced no root"); // cannot happen for one file
  return root.toString();
}

/**
 * The Filecoin piece CID of `bytes`: PieceCIDv2 (FRC-0069, `bafkzcib…`), the CommP that PDP proofs use, which
 * also encodes the padded piece size. The legacy v1 form (`baga6ea4seaq…`) is `pieceCidV1Of`.
 */
export function pieceCidOf(bytes: Uint8Array): string {
  return Piece.toString(Piece.fromPayload(bytes));
}

/** Legacy CommP (`fil-commitment-unsealed`, `baga6ea4seaq…`): what deal-status APIs such as Lighthouse's report. */
export function pieceCidV1Of(bytes: Uint8Array): string {
  return Piece.toInfo(Piece.fromPayload(bytes)).link.toString();
}

/**
 * Parses a CID as `cidOf` produces it (CIDv1, sha2-256, raw or dag-pb) and returns its canonical base32 string.
 * Anything else is an `InvalidCidError`; stores rely on this before using a CID as a file name or URL path.
 */
export function parseCid(text: string): string {
  let cid: CID;
  try {
    cid = CID.parse(text);
  } catch (error) {
    throw new InvalidCidError(text, error instanceof Error ? error.message : "unparseable");
  }
  if (cid.version !== 1) throw new InvalidCidError(text, "not CIDv1");
  if (cid.code !== RAW_CODEC && cid.code !== DAG_PB_CODEC) throw new InvalidCidError(text, "codec is neither raw nor dag-pb");
  if (cid.multihash.code !== SHA2_256) throw new InvalidCidError(text, "hash is not sha2-256");
  return cid.toString();
}
