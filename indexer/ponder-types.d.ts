// Ponder's virtual modules typed from the project's one config at the root. Ponder writes its own
// ponder-env.d.ts here on every run, pointing at ./ponder.config.ts beside the schema, which this project does not
// have (`ponder --root indexer --config ../ponder.config.ts`): that file is ignored by git and by tsc, and this one
// says the same with the real path.
/// <reference types="ponder/virtual" />

declare module "ponder:internal" {
  const config: typeof import("../ponder.config.ts");
  const schema: typeof import("./ponder.schema.ts");
}

declare module "ponder:schema" {
  export * from "./ponder.schema.ts";
}
