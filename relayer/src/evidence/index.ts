export * from "./canonical-json.js";
export * from "./cid.js";
export * from "./deltas.js";
export * from "./engagement.js";
export * from "./errors.js";
export * from "./snapshot.js";
