import { expect } from "chai";
import { bytesToHex, getAddress, hashTypedData, hexToBytes } from "viem";
import { createVoucherVerifier, STREAM_VOUCHER_TYPES, vaultDomain } from "../../relayer/src/stream/voucher.js";
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
    for (const cumulativeAmount of [0n, 1n, 123_456_789n, (1n << 256n) - 1n]) {
      const voucher = { listener: listener.address, artist, sessionId: randomNonce(), cumulativeAmount, deadline: (1n << 64n) - 1n };
      const digest = bytesToHex(verifier.digest(voucher));
      expect(digest).to.equal(hashTypedData({ domain, types: STREAM_VOUCHER_TYPES, primaryType: "StreamVoucher", message: voucher }));
      expect(digest).to.equal(await chain.contracts.vault.hashVoucher(voucher));
      const signature = await listener.signTypedData({ domain, types: STREAM_VOUCHER_TYPES, primaryType: "StreamVoucher", message: voucher });
      expect(verifier.verify(voucher, signature)).to.equal(true);
      // Another voucher, another signer, a malleable twin (s → n − s, v flipped), a wrong length: all refused.
      expect(verifier.verify({ ...voucher, cumulativeAmount: cumulativeAmount ^ 1n }, signature)).to.equal(false);
      expect(verifier.verify({ ...voucher, listener: artist }, signature)).to.equal(false);
      const bytes = hexToBytes(signature);
      const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
      const twin = new Uint8Array(bytes);
      twin.set(hexToBytes(`0x${(SECP256K1_N - s).toString(16).padStart(64, "0")}`), 32);
      twin[64] = bytes[64] === 27 ? 28 : 27;
      expect(verifier.verify(voucher, bytesToHex(twin))).to.equal(false);
      expect(verifier.verify(voucher, `0x${signature.slice(2, -2)}`)).to.equal(false);
    }
  });
});
