import { createRoute } from "@hono/zod-openapi";
import { eq } from "ponder";
import { db } from "ponder:api";
import { coin, creator } from "ponder:schema";
import { NotFoundError } from "../errors.js";
import { toJson } from "../json.js";
import { answers, createRouter } from "../openapi.js";
import { addressParam } from "../validation.js";

const route = createRoute({
  method: "get",
  path: "/{address}",
  summary: "A creator: tracks, plays, metrics, badge and coin",
  request: { params: addressParam },
  responses: answers("the creator", 400, 404),
});

export const creators = createRouter().openapi(route, async (c) => {
  const { address } = c.req.valid("param");
  const row = await db.query.creator.findFirst({ where: eq(creator.address, address) });
  if (row === undefined) throw new NotFoundError("creator_not_found", `${address} has no track, metrics or badge`);
  const coinRow = row.coin === null ? undefined : await db.query.coin.findFirst({ where: eq(coin.address, row.coin) });
  return c.json(
    toJson({
      ...row,
      coin:
        coinRow === undefined
          ? null
          : { address: coinRow.address, name: coinRow.name, symbol: coinRow.symbol, price: coinRow.price, marketCap: coinRow.marketCap },
    }),
    200,
  );
});
