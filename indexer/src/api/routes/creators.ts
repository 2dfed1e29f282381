import { Hono } from "hono";
import { eq } from "ponder";
import { db } from "ponder:api";
import { coin, creator } from "ponder:schema";
import { NotFoundError } from "../errors.js";
import { toJson } from "../json.js";
import { addressParam, validate } from "../validation.js";

export const creators = new Hono().get("/:address", validate("param", addressParam), async (c) => {
  const { address } = c.req.valid("param");
  const row = await db.query.creator.findFirst({ where: eq(creator.address, address) });
  if (row === undefined) throw new NotFoundError("creator_not_found", `${address} has no track, metrics or badge`);
  const coinRow = row.coin === null ? undefined : await db.query.coin.findFirst({ where: eq(coin.address, row.coin) });
  return c.json(
    toJson({
      ...row,
      coin: coinRow === undefined ? null : { address: coinRow.address, name: coinRow.name, symbol: coinRow.symbol, price: coinRow.price, marketCap: coinRow.marketCap },
    }),
  );
});
