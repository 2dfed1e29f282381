import { expect } from "chai";
import { bytesToHex, getAddress, hashTypedData, hexToBytes } from "viem";
import { STREAM_VOUCHER_TYPES, vaultDomain, type StreamVoucher } from "../../relayer/src/crypto/eip712.js";
import { createVoucherVerifier } from "../../relayer/src/crypto/signatures.js";
import { createVerifierPool } from "../../relayer/src/crypto/verify-pool.js";
import { deployChain, newListener, randomNonce } from "./core.helpers.js";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe("stream voucher verifier (native secp256k1, hand-encoded digest)", function () {
  this.timeout(120_000);

  it("hashes like viem and BeatStreamVault.hashVoucher, and accepts exactly the signatures settle accepts", async () => {
    const chain = await deployChain(0);
    const vault = getAddress(await chain.contracts.vault.getAddress());
    const verifier = createVoucherVerifier({ chainId: chain.chainId, vault });
    const domain = vaultDomain({ chainId: chain.chainId, vault });
    const listener = newListener();
    const artist = newListener().address;
    const cases: { voucher: StreamVoucher; signature: `0x${string}`; valid: boolean }[] = [];
    for (const cumulativeAmount of [0n, 1n, 123_456_789n, (1n << 256n) - 1n]) {
      const voucher = { listener: listener.address, artist, sessionId: randomNonce(), cumulativeAmount, deadline: (1n << 64n) - 1n };
      const digest = bytesToHex(verifier.digest(voucher));
      expect(digest).to.equal(hashTypedData({ domain, types: STREAM_VOUCHER_TYPES, primaryType: "StreamVoucher", message: voucher }));
      expect(digest).to.equal(await chain.contracts.vault.hashVoucher(voucher));
      const signature = await listener.signTypedData({ domain, types: STREAM_VOUCHER_TYPES, primaryType: "StreamVoucher", message: voucher });
      cases.push({ voucher, signature, valid: true });
      // Another voucher, another signer, a malleable twin (s → n − s, v flipped), a wrong length: all refused.
      cases.push({ voucher: { ...voucher, cumulativeAmount: cumulativeAmount ^ 1n }, signature, valid: false });
      cases.push({ voucher: { ...voucher, listener: artist }, signature, valid: false });
      const bytes = hexToBytes(signature);
      const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
      const twin = new Uint8Array(bytes);
      twin.set(hexToBytes(`0x${(SECP256K1_N - s).toString(16).padStart(64, "0")}`), 32);
      twin[64] = bytes[64] === 27 ? 28 : 27;
      cases.push({ voucher, signature: bytesToHex(twin), valid: false });
      cases.push({ voucher, signature: `0x${signature.slice(2, -2)}`, valid: false });
    }
    expect(cases.map(({ voucher, signature }) => verifier.verify(voucher, signature))).to.deep.equal(cases.map(({ valid }) => valid));

    // The same answers from the signature-check threads (split over both) and from the pool's inline mode.
    const many = Array.from({ length: 8 }, () => cases).flat();
    for (const threads of [2, 0]) {
      const pool = createVerifierPool({ chainId: chain.chainId, musicNFT: vault, vault, threads, minChunk: 4 });
      try {
        expect(await pool.checkVouchers(many)).to.deep.equal(many.map(({ valid }) => valid));
        expect(await pool.checkVouchers([])).to.deep.equal([]);
      } finally {
        await pool.close();
      }
    }
  });

  it("a signature-check pool built without a vault refuses voucher checks with a clear error", async () => {
    const pool = createVerifierPool({ chainId: 31337, musicNFT: "0x0000000000000000000000000000000000000001", threads: 1 });
    try {
      const voucher = { listener: newListener().address, artist: newListener().address, sessionId: randomNonce(), cumulativeAmount: 1n, deadline: 1n };
      let caught: unknown;
      await pool.checkVouchers([{ voucher, signature: `0x${"11".repeat(65)}` }]).catch((error: unknown) => (caught = error));
      expect(caught).to.be.instanceOf(Error);
      expect((caught as Error & { code?: string }).message).to.match(/without a vault/);
    } finally {
      await pool.close();
    }
  });
});
