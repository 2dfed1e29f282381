import { createHash } from "node:crypto";
import { expect } from "chai";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import { cidOf, parseCid, pieceCidOf, pieceCidV1Of } from "../../relayer/src/evidence/cid.js";
import { InvalidCidError } from "../../relayer/src/evidence/errors.js";

const HELLO_WORLD = new TextEncoder().encode("hello world");
const CHUNK = 262_144;

/** A fixed, non-repeating-per-chunk pattern, so equal chunks cannot hide a chunking bug. */
function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + (i >> 10)) & 0xff);
}

/** CIDv1 of a single raw block: what a file of at most one chunk is, by the multiformats spec alone. */
async function rawCid(bytes: Uint8Array): Promise<string> {
  return CID.createV1(0x55, await sha256.digest(bytes)).toString();
}

function varint(n: number): number[] {
  const out = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}
const field = (tag: number, bytes: Uint8Array | number[]) => [tag, ...varint(bytes.length), ...bytes];

/**
 * The root of a multi-chunk file built by hand from the UnixFS and dag-pb specs, the way Kubo writes it for
 * `--cid-version=1`: raw leaves of 256 KiB; one dag-pb node whose links (Hash, Name "", Tsize) come first in the
 * bytes, then Data = UnixFS { Type: File, filesize, blocksizes }. Valid up to 174 chunks (one level).
 */
async function handBuiltRoot(bytes: Uint8Array): Promise<string> {
  const sizes: number[] = [];
  const links: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += CHUNK) {
    const chunk = bytes.subarray(offset, offset + CHUNK);
    sizes.push(chunk.length);
    const hash = CID.createV1(0x55, await sha256.digest(chunk)).bytes;
    const link = [...field(0x0a, hash), ...field(0x12, []), 0x18, ...varint(chunk.length)];
    links.push(...field(0x12, link));
  }
  const unixfs = [0x08, 0x02, 0x18, ...varint(bytes.length), ...sizes.flatMap((size) => [0x20, ...varint(size)])];
  const node = Uint8Array.from([...links, ...field(0x0a, unixfs)]);
  return CID.createV1(0x70, await sha256.digest(node)).toString();
}

/** Filecoin fr32 padding: every 254 bits of input (LSB-first) followed by 2 zero bits, 127 bytes → 128. */
function fr32(padded127: Uint8Array): Uint8Array {
  const out = new Uint8Array((padded127.length / 127) * 128);
  let outBit = 0;
  for (let inBit = 0; inBit < padded127.length * 8; inBit++) {
    if (outBit % 256 === 254) outBit += 2;
    if ((padded127[inBit >> 3] >> (inBit & 7)) & 1) out[outBit >> 3] |= 1 << (outBit & 7);
    outBit++;
  }
  return out;
}

/** CommP by the Filecoin spec: fr32-padded payload, binary sha256 tree with the top 2 bits of each node cleared. */
function handBuiltPiece(payload: Uint8Array): { v1: string; v2: string } {
  let unpadded = 127;
  while (unpadded < payload.length) unpadded *= 2;
  const padded = new Uint8Array(unpadded);
  padded.set(payload);
  let level: Buffer[] = [];
  const leaves = fr32(padded);
  for (let i = 0; i < leaves.length; i += 32) level.push(Buffer.from(leaves.subarray(i, i + 32)));
  let height = 0;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) {
      const node = createHash("sha256").update(level[i]).update(level[i + 1]).digest();
      node[31] &= 0x3f;
      next.push(node);
    }
    level = next;
    height++;
  }
  const root = level[0];
  const v1 = CID.createV1(0xf101, createDigest(0x1012, root)).toString();
  // FRC-0069 PieceCIDv2: raw codec, multihash fr32-sha256-trunc254-padbintree = uvarint(padding) ‖ height ‖ root.
  const digest = Uint8Array.from([...varint(unpadded - payload.length), height, ...root]);
  const v2 = CID.createV1(0x55, createDigest(0x1011, digest)).toString();
  return { v1, v2 };
}

describe("relayer evidence: CIDs", () => {
  it("gives the published `ipfs add --cid-version=1` CID of `hello world`", async () => {
    expect(await cidOf(HELLO_WORLD)).to.equal("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  });

  it("names a file of at most one chunk by its raw block, empty file included", async () => {
    for (const bytes of [new Uint8Array(), HELLO_WORLD, pattern(1000), pattern(CHUNK)]) {
      expect(await cidOf(bytes)).to.equal(await rawCid(bytes));
    }
    expect(await cidOf(new Uint8Array())).to.equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  });

  it("gives a multi-chunk file the dag-pb root built by hand from its 256 KiB raw chunks", async () => {
    for (const bytes of [pattern(1 << 20), pattern(CHUNK + 1), pattern(600 * 1024)]) {
      const cid = await cidOf(bytes);
      expect(cid).to.match(/^bafybei/);
      expect(cid).to.equal(await handBuiltRoot(bytes));
    }
  });

  it("computes the Filecoin piece CID (v2 and legacy v1 CommP) as the spec builds it by hand", () => {
    for (const bytes of [HELLO_WORLD, pattern(127), pattern(1000), pattern(5000)]) {
      const expected = handBuiltPiece(bytes);
      expect(pieceCidOf(bytes)).to.equal(expected.v2);
      expect(pieceCidV1Of(bytes)).to.equal(expected.v1);
    }
    expect(pieceCidV1Of(HELLO_WORLD)).to.match(/^baga6ea4seaq/);
    expect(pieceCidOf(HELLO_WORLD)).to.match(/^bafkzcib/);
  });

  it("parses only CIDv1 sha2-256 raw or dag-pb, in canonical base32", async () => {
    const cid = await cidOf(HELLO_WORLD);
    expect(parseCid(cid)).to.equal(cid);
    expect(parseCid(CID.parse(cid).toString(base58btc))).to.equal(cid);
    const bad: [string, RegExp][] = [
      ["../../etc/passwd", /multibase decoder/],
      ["bafkrei", /./],
      ["QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u", /not CIDv1/],
      [pieceCidOf(HELLO_WORLD), /not sha2-256/],
      [pieceCidV1Of(HELLO_WORLD), /neither raw nor dag-pb/],
    ];
    for (const [text, reason] of bad) {
      let thrown: unknown;
      try {
        parseCid(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(InvalidCidError);
      if (!(thrown instanceof InvalidCidError)) return;
      expect(thrown.code).to.equal("invalid_cid");
      expect(thrown.cid).to.equal(text);
      expect(thrown.message).to.match(reason);
    }
  });
});
