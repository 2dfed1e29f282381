/**
 * The streaming client's frame types (relayer/src/stream/frames.ts) reach relayer/src/crypto/hex.ts, whose
 * `writeUintBE(target: Buffer, …)` names Node's Buffer in a signature. The app never calls it; for its type check a
 * Buffer is the Uint8Array it extends.
 */
type Buffer = Uint8Array;
