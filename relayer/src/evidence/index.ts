export * from "./canonical-json.js";
export * from "./cid.js";
export * from "./deltas.js";
export * from "./errors.js";
export * from "./merkle.js";
export * from "./plays.js";
export * from "./snapshot.js";
