/** A JSON value as the canonical encoder accepts it: integers only (safe ones), no undefined, no floats. */
export type CanonicalJson = string | number | boolean | null | CanonicalJson[] | { [key: string]: CanonicalJson };

/**
 * Canonical JSON text: object keys sorted by code unit at every level, no whitespace, strings escaped as
 * JSON.stringify does, numbers only as safe integers (wider integers must already be decimal strings, so no
 * value can change by passing through a JavaScript number). For ASCII keys this is RFC 8785 (JCS) output.
 */
export function canonicalJson(value: CanonicalJson): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON allows only safe integers, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
}
