import { getAddress, isAddress } from "viem";
import { z, type ZodType } from "zod";
import { InvalidCursorError } from "./errors.js";

/** An address in any case; the indexer stores addresses lowercase, so that is what routes compare with. */
export const address = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "not an address")
  .transform((value) => lowercaseAddress(getAddress(value)));

function lowercaseAddress(value: `0x${string}`): `0x${string}` {
  return `0x${value.slice(2).toLowerCase()}`;
}

/** An address as it appears in a cursor (lowercase, as the API answers it). */
export const addressCursor = z
  .string()
  .regex(/^0x[0-9a-f]{40}$/)
  .transform((value): `0x${string}` => `0x${value.slice(2)}`);

/** A decimal unsigned integer in a cursor. */
export const decimalCursor = z.string().regex(/^\d{1,78}$/).transform((value) => BigInt(value));

/** A decimal unsigned integer (ids, timestamps) as a bigint. */
export const uint = z
  .string()
  .regex(/^\d{1,78}$/, "not a non-negative decimal integer")
  .transform((value) => BigInt(value));

export const addressParam = z.object({ address });

export const page = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
};

/** `at`: the unix time (seconds) a window ends at; default now. */
export const at = uint.optional();

/** Cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: readonly (string | number | bigint)[]): string {
  return Buffer.from(JSON.stringify(key.map(String))).toString("base64url");
}

/** Decodes a cursor into `schema`'s shape (string fields), or throws invalid_cursor. */
export function decodeCursor<Schema extends ZodType>(cursor: string, schema: Schema): z.output<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError();
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new InvalidCursorError();
  return result.data;
}

export function nowSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}
