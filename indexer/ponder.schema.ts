/**
 * The indexer's tables. Every figure the API serves is a column kept up to date by the handlers (running
 * totals), so no request ever counts or sums over events; event rows are keyed by Ponder's `event.id`.
 * Amounts are bigints in token units (USDC: 6 decimals, coins: 18), prices are USDC units per 1e18 coin
 * units exactly as MusicDEX.spotPrice computes them, times are block timestamps in seconds.
 */
import { index, onchainTable, primaryKey, relations } from "ponder";

// ------------------------------------------------------------------------------------------- music

export const track = onchainTable(
  "track",
  (t) => ({
    id: t.bigint().primaryKey(),
    creator: t.hex().notNull(),
    owner: t.hex().notNull(),
    uri: t.text().notNull(),
    royaltyReceiver: t.hex().notNull(),
    royaltyBps: t.integer().notNull(),
    plays: t.bigint().notNull().default(0n),
    mintedAt: t.bigint().notNull(),
    mintedBlock: t.bigint().notNull(),
    mintTx: t.hex().notNull(),
  }),
  (table) => ({
    creatorIdx: index().on(table.creator),
    // `/tracks/top?window=all` walks this index: plays descending, id as the tie-break (the 24h/7d/30d windows add up
    // the hours' packed plays per track, platform_hourly.trackPlays).
    playsIdx: index().on(table.plays.desc(), table.id.asc()),
  }),
);

export const creator = onchainTable("creator", (t) => ({
  address: t.hex().primaryKey(),
  tracks: t.integer().notNull().default(0),
  /** Committed plays of all the creator's tracks (MusicNFT.creatorPlays). */
  plays: t.bigint().notNull().default(0n),
  /** The relayer's last report (CreatorCoinFactory.creatorMetrics). */
  reportedPlays: t.bigint().notNull().default(0n),
  followers: t.bigint().notNull().default(0n),
  revenue: t.bigint().notNull().default(0n),
  latestSnapshotCid: t.text(),
  metricsUpdatedAt: t.bigint(),
  verified: t.boolean().notNull().default(false),
  coin: t.hex(),
  firstSeenAt: t.bigint().notNull(),
}));

export const playBatch = onchainTable(
  "play_batch",
  (t) => ({
    id: t.bigint().primaryKey(),
    root: t.hex().notNull(),
    snapshotCid: t.text().notNull(),
    plays: t.bigint().notNull(),
    tracks: t.integer().notNull(),
    committer: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
    /**
     * The batch's packed entries as PlaysCommitted carries them (per entry an 8-byte track id and 4-byte plays, in
     * commit order; a track may appear more than once). `GET /batches/:id` answers them decoded, with each track's
     * creator: one column instead of a row per entry.
     */
    deltas: t.hex().notNull(),
  }),
);

// ------------------------------------------------------------------------------------------- coins

export const coin = onchainTable(
  "coin",
  (t) => ({
    address: t.hex().primaryKey(),
    creator: t.hex().notNull(),
    name: t.text().notNull().default(""),
    symbol: t.text().notNull().default(""),
    totalSupply: t.bigint().notNull().default(0n),
    creatorAllocation: t.bigint().notNull().default(0n),
    vestingDuration: t.bigint().notNull().default(0n),
    vestingReleased: t.bigint().notNull().default(0n),
    launchedAt: t.bigint().notNull(),
    launchedBlock: t.bigint().notNull(),
    // Market, as the last Swapped event left it.
    virtualUsdc: t.bigint().notNull().default(0n),
    usdcReserve: t.bigint().notNull().default(0n),
    coinReserve: t.bigint().notNull().default(0n),
    /** Coins a sell may bring back (MusicDEX.Market.outstanding): bought or released from vesting, less those sold. */
    outstanding: t.bigint().notNull().default(0n),
    price: t.bigint().notNull().default(0n),
    marketCap: t.bigint().notNull().default(0n),
    volumeUsdc: t.bigint().notNull().default(0n),
    trades: t.integer().notNull().default(0),
    lastTradeAt: t.bigint(),
    holders: t.integer().notNull().default(0),
    // Fees of this market (2.5 % of each trade: 1 % creator, 1 % holders, 0.5 % treasury).
    feesTotal: t.bigint().notNull().default(0n),
    creatorFeesAccrued: t.bigint().notNull().default(0n),
    creatorFeesClaimed: t.bigint().notNull().default(0n),
    holderFeesAccrued: t.bigint().notNull().default(0n),
    holderFeesReleased: t.bigint().notNull().default(0n),
    /** Holder fees the DEX kept as the market's revenue (MusicDEX.Market.holderFees = accrued − released − this). */
    holderFeesToMarket: t.bigint().notNull().default(0n),
    /** Revenue earned by the market's coins, added to its USDC reserve at the start of each trade. */
    marketRevenue: t.bigint().notNull().default(0n),
    // CreatorCoin's stored revenue state (revenueState(): one packed word), replayed with the same integer math and
    // stored exactly where the contract stores it; the API brings it forward to the latest indexed block.
    /** The accumulator as last stored (USDC units per coin unit, scaled by 1e27). */
    revenueAccumulator: t.bigint().notNull().default(0n),
    /** Eligible supply in units of 1e9 coin units, rounded up. */
    eligibleUnits: t.bigint().notNull().default(0n),
    /** Time of the last stored update: what is locked unlocks from here. */
    revenueUpdatedAt: t.bigint().notNull().default(0n),
    /** Revenue still locked at revenueUpdatedAt. */
    lockedRevenue: t.bigint().notNull().default(0n),
    /**
     * Replay bookkeeping: a sell's syncMarket (which emits nothing) was replayed at its Swapped, so the DEX's next
     * RevenueDeposited is that sell's holder fee (accrueMarketFees), not a buy's syncMarket.
     */
    sellFeePending: t.boolean().notNull().default(false),
    revenueDeposited: t.bigint().notNull().default(0n),
    revenueClaimed: t.bigint().notNull().default(0n),
  }),
  (table) => ({
    // `/coins` order: market cap descending, address as the tie-break.
    marketCapIdx: index().on(table.marketCap.desc(), table.address.asc()),
    creatorIdx: index().on(table.creator),
  }),
);

/** A coin balance. revenueSnapshot/owed mirror CreatorCoin's per-account slot; `excluded` earns nothing. */
export const coinHolder = onchainTable(
  "coin_holder",
  (t) => ({
    coin: t.hex().notNull(),
    holder: t.hex().notNull(),
    balance: t.bigint().notNull().default(0n),
    excluded: t.boolean().notNull().default(false),
    revenueSnapshot: t.bigint().notNull().default(0n),
    owed: t.bigint().notNull().default(0n),
    claimed: t.bigint().notNull().default(0n),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.coin, table.holder] }),
    // `/coins/:address/holders` order: balance descending within a coin, holder as the tie-break.
    balanceIdx: index().on(table.coin.asc(), table.balance.desc(), table.holder.asc()),
    holderIdx: index().on(table.holder),
  }),
);

export const trade = onchainTable(
  "trade",
  (t) => ({
    id: t.text().primaryKey(),
    coin: t.hex().notNull(),
    trader: t.hex().notNull(),
    recipient: t.hex().notNull(),
    isBuy: t.boolean().notNull(),
    usdcAmount: t.bigint().notNull(),
    coinAmount: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    usdcReserve: t.bigint().notNull(),
    coinReserve: t.bigint().notNull(),
    price: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    coinIdx: index().on(table.coin, table.blockNumber, table.logIndex),
  }),
);

/**
 * OHLCV of one coin per minute starting at `time`; prices after each trade. The 1 h and 1 d candles of the API are
 * these minutes added up at query time: a trade writes one row, not three.
 */
export const candle = onchainTable(
  "candle",
  (t) => ({
    coin: t.hex().notNull(),
    time: t.bigint().notNull(),
    open: t.bigint().notNull(),
    high: t.bigint().notNull(),
    low: t.bigint().notNull(),
    close: t.bigint().notNull(),
    volumeUsdc: t.bigint().notNull(),
    volumeCoin: t.bigint().notNull(),
    trades: t.integer().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.coin, table.time] }),
    // /stats adds up every coin's minutes of the last 24 hours.
    timeIdx: index().on(table.time),
  }),
);

export const revenueDeposit = onchainTable(
  "revenue_deposit",
  (t) => ({
    id: t.text().primaryKey(),
    coin: t.hex().notNull(),
    from: t.hex().notNull(),
    amount: t.bigint().notNull(),
    /** The accumulator the deposit stored (revenueState().accumulator after it). */
    revenuePerToken: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ coinIdx: index().on(table.coin) }),
);

export const revenueClaim = onchainTable(
  "revenue_claim",
  (t) => ({
    id: t.text().primaryKey(),
    coin: t.hex().notNull(),
    holder: t.hex().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ holderIdx: index().on(table.holder) }),
);

// ------------------------------------------------------------------------------------------- vault

export const listener = onchainTable("listener", (t) => ({
  address: t.hex().primaryKey(),
  /** Unspent USDC (BeatStreamVault.balanceOf), including a pending withdrawal. */
  balance: t.bigint().notNull().default(0n),
  deposited: t.bigint().notNull().default(0n),
  spent: t.bigint().notNull().default(0n),
  withdrawn: t.bigint().notNull().default(0n),
  pendingWithdrawal: t.bigint().notNull().default(0n),
  withdrawalAvailableAt: t.bigint().notNull().default(0n),
}));

export const artist = onchainTable("artist", (t) => ({
  address: t.hex().primaryKey(),
  /** USDC earned and not yet withdrawn (BeatStreamVault.earningsOf). */
  balance: t.bigint().notNull().default(0n),
  earned: t.bigint().notNull().default(0n),
  withdrawn: t.bigint().notNull().default(0n),
}));

/** A creator's holder share of its streaming revenue (BeatStreamVault.setHolderShare) and its distributions. */
export const holderShare = onchainTable("holder_share", (t) => ({
  creator: t.hex().primaryKey(),
  /** The share in force as of the last HolderShareSet (a pending lowering applies from `nextAt`). */
  bps: t.integer().notNull().default(0),
  /** A lowering announced and not in force yet: the share and when it applies (null when none). */
  nextBps: t.integer(),
  nextAt: t.bigint(),
  /** Holder revenue accrued by settlements and not distributed yet (BeatStreamVault.holderRevenueOf). */
  accrued: t.bigint().notNull().default(0n),
  /** Every holder revenue ever accrued, and what was distributed into the coin. */
  accruedTotal: t.bigint().notNull().default(0n),
  distributed: t.bigint().notNull().default(0n),
  distributions: t.integer().notNull().default(0),
  /** The last distribution period (block.timestamp / DISTRIBUTION_PERIOD), null before the first. */
  lastPeriod: t.bigint(),
}));

/** One quarterly distribution: the creator's accrued holder revenue deposited into its coin. */
export const holderDistribution = onchainTable(
  "holder_distribution",
  (t) => ({
    id: t.text().primaryKey(),
    creator: t.hex().notNull(),
    coin: t.hex().notNull(),
    period: t.bigint().notNull(),
    amount: t.bigint().notNull(),
    caller: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ creatorIdx: index().on(table.creator, table.period) }),
);

export const streamSession = onchainTable("stream_session", (t) => ({
  sessionKey: t.hex().primaryKey(),
  listener: t.hex().notNull(),
  artist: t.hex().notNull(),
  sessionId: t.hex().notNull(),
  totalSettled: t.bigint().notNull(),
}));

export const vaultDeposit = onchainTable(
  "vault_deposit",
  (t) => ({
    id: t.text().primaryKey(),
    listener: t.hex().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ listenerIdx: index().on(table.listener) }),
);

export const settlement = onchainTable(
  "settlement",
  (t) => ({
    id: t.text().primaryKey(),
    sessionKey: t.hex().notNull(),
    listener: t.hex().notNull(),
    artist: t.hex().notNull(),
    sessionId: t.hex().notNull(),
    amount: t.bigint().notNull(),
    totalSettled: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ listenerIdx: index().on(table.listener), artistIdx: index().on(table.artist) }),
);

/** Withdrawal requests, cancellations and executions of listeners, and artists' earnings withdrawals. */
export const withdrawal = onchainTable(
  "withdrawal",
  (t) => ({
    id: t.text().primaryKey(),
    kind: t.text().notNull(),
    account: t.hex().notNull(),
    to: t.hex(),
    amount: t.bigint().notNull(),
    availableAt: t.bigint(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account) }),
);

// ------------------------------------------------------------------------------------------- platform

/**
 * One row (id "global"): the protocol's totals and governance parameters as they now stand. Market and revenue
 * totals (trades, volume, fees, revenue deposited and claimed) are not kept here: they are the sums of the coin
 * rows, which the same events already update, so `/stats` adds up one row per coin instead of every trade, deposit
 * and claim writing this row a second time.
 */
export const platform = onchainTable("platform", (t) => ({
  id: t.text().primaryKey(),
  tracks: t.integer().notNull().default(0),
  creators: t.integer().notNull().default(0),
  plays: t.bigint().notNull().default(0n),
  batches: t.integer().notNull().default(0),
  coins: t.integer().notNull().default(0),
  treasuryFeesClaimed: t.bigint().notNull().default(0n),
  listeners: t.integer().notNull().default(0),
  vaultDeposited: t.bigint().notNull().default(0n),
  vaultSettled: t.bigint().notNull().default(0n),
  vaultWithdrawn: t.bigint().notNull().default(0n),
  earningsWithdrawn: t.bigint().notNull().default(0n),
  treasury: t.hex(),
  defaultVirtualUsdc: t.bigint().notNull().default(0n),
  dexPaused: t.boolean().notNull().default(false),
  vaultPaused: t.boolean().notNull().default(false),
  launchThreshold: t.bigint().notNull().default(0n),
  coinSupply: t.bigint().notNull().default(0n),
  creatorAllocationBps: t.bigint().notNull().default(0n),
  vestingDuration: t.bigint().notNull().default(0n),
}));

/**
 * Plays committed per UTC hour over the whole platform: `/stats` adds up at most 24 of these. Trading per hour is
 * not repeated here: it is the coins' 1 h candles, which every swap already writes.
 */
export const platformHourly = onchainTable("platform_hourly", (t) => ({
  hour: t.bigint().primaryKey(),
  plays: t.bigint().notNull().default(0n),
  /**
   * The hour's plays per track, packed (`decodeHourPlays` in indexer/lib/math.ts: per track an 8-byte id and an
   * 8-byte count, ascending by id): the 24h/7d/30d windows of `/tracks/top` add up at most 720 of these. One row
   * per batch instead of a row per track and hour, which cost the sync more than the rest of a batch together.
   */
  trackPlays: t.hex().notNull().default("0x"),
}));

// ------------------------------------------------------------------------------------------- relations (GraphQL)

export const trackRelations = relations(track, ({ one }) => ({
  creatorRow: one(creator, { fields: [track.creator], references: [creator.address] }),
}));

export const creatorRelations = relations(creator, ({ many }) => ({
  trackRows: many(track),
}));

export const coinRelations = relations(coin, ({ many }) => ({
  holderRows: many(coinHolder),
  tradeRows: many(trade),
  candles: many(candle),
}));

export const coinHolderRelations = relations(coinHolder, ({ one }) => ({
  coinRow: one(coin, { fields: [coinHolder.coin], references: [coin.address] }),
}));

export const tradeRelations = relations(trade, ({ one }) => ({
  coinRow: one(coin, { fields: [trade.coin], references: [coin.address] }),
}));

export const candleRelations = relations(candle, ({ one }) => ({
  coinRow: one(coin, { fields: [candle.coin], references: [coin.address] }),
}));
