export * from "./cycle.js";
export * from "./errors.js";
export * from "./proofs.js";
export * from "./records.js";
export * from "./scheduler.js";
export * from "./steps.js";
