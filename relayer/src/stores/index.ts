export * from "./errors.js";
export * from "./lighthouse.js";
export * from "./local-cas.js";
export * from "./retry.js";
export * from "./snapshot-store.js";
