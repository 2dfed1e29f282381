// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMusicDEXHolderFees} from "./IMusicDEXHolderFees.sol";
import {IMusicDEXMarketOpener} from "./IMusicDEXMarketOpener.sol";
import {IRevenueDistributor} from "./IRevenueDistributor.sol";

/// @title IMusicDEX
/// @notice One singleton holding the market of every creator coin against USDC. A market opens with no
/// seed money: it trades on a constant-product curve whose USDC side starts on a virtual reserve, so
/// price = (virtualUsdc + usdcReserve) / coinReserve. Every trade pays a 2.5 % fee on its USDC side,
/// split creator 1 % / holders 1 % / treasury 0.5 %; creator and treasury fees accrue to balances that are
/// claimed later. The holders' share is locked as the coin's revenue in the trade itself and unlocks to
/// holders over time like any deposit (ICreatorCoin), so a just-in-time holder captures nothing; its USDC
/// stays here, owed to the coin, until released to it (releaseHolderFees).
///
/// The market's coins earn revenue like any holder's; at the start of every trade, before pricing it, the DEX
/// collects what they earned into the market's USDC reserve (ICreatorCoin.syncMarket), so the unsold reserve's
/// share of revenue lifts the price for every holder, and a trade is priced on revenue up to its own block.
///
/// The exit rule: every coin in circulation can always be sold. Coins released from the creator's vesting
/// never paid into the curve, so buys price on the curve's virtual reserve while sells price on the backed
/// virtual reserve sellVirtualUsdc = min(virtualUsdc, usdcReserve · coinReserve / outstanding): the largest
/// virtual reserve for which selling every outstanding coin, in any order, stays within the real reserve. It
/// equals virtualUsdc until released creator coins circulate (buys alone keep the curve backed), falls as
/// they are released (they dilute every holder alike, the creator included), and recovers as the reserve
/// grows (buys, the market's revenue).
interface IMusicDEX is IMusicDEXMarketOpener, IMusicDEXHolderFees {
    /// @notice Everything the DEX keeps about one coin's market (three storage slots).
    /// @param usdcReserve Real USDC backing the curve, 6 decimals: what buyers put in (fees excluded) less
    /// what sellers took out, plus the revenue earned by the coins the market holds.
    /// @param coinReserve Coins the market still holds.
    /// @param creator The coin's creator, who claims `creatorFees`.
    /// @param virtualUsdc The virtual USDC reserve fixed at open; zero means the market is not open.
    /// @param creatorFees Accrued creator fees, not yet claimed.
    /// @param holderFees Holder fees locked as the coin's revenue, whose USDC the DEX still holds for the coin
    /// (see releaseHolderFees).
    /// @param outstanding Coins in circulation that a sell may bring back: bought from the curve or released
    /// from the creator's vesting, less those sold back.
    struct Market {
        uint128 usdcReserve;
        uint128 coinReserve;
        address creator;
        uint96 virtualUsdc;
        uint80 creatorFees;
        uint80 holderFees;
        uint96 outstanding;
    }

    // ------------------------------------------------------------------ errors

    /// @notice `coin` already has a market.
    error MusicDEXMarketAlreadyOpen(address coin);
    /// @notice `coin` has no market.
    error MusicDEXMarketNotOpen(address coin);
    /// @notice An address argument (coin, creator, recipient, treasury) was the zero address.
    error MusicDEXZeroAddress();
    /// @notice `coinAmount` to open a market with is zero or does not fit 128 bits.
    error MusicDEXInvalidCoinAmount(uint256 coinAmount);
    /// @notice The DEX holds only `balance` of `coin`, less than the `coinAmount` the market would open with.
    error MusicDEXCoinsNotReceived(address coin, uint256 balance, uint256 coinAmount);
    /// @notice `virtualUsdc` is outside [MIN_VIRTUAL_USDC, MAX_VIRTUAL_USDC].
    error MusicDEXInvalidVirtualUsdc(uint256 virtualUsdc);
    /// @notice The trade's `deadline` is before the block's `timestamp`.
    error MusicDEXDeadlinePassed(uint256 deadline, uint256 timestamp);
    /// @notice The trade would give `amountOut`, less than the trader's `minOut`.
    error MusicDEXSlippage(uint256 amountOut, uint256 minOut);
    /// @notice A trade or quote amount is zero or does not fit 128 bits.
    error MusicDEXInvalidAmount(uint256 amount);
    /// @notice A trade of `amountIn` would give nothing out after rounding and fees.
    error MusicDEXZeroOutput(uint256 amountIn);
    /// @notice A sell would take `usdcOut` out of the curve, more than the real `usdcReserve`. Unreachable:
    /// sells are priced on the backed curve (see sellVirtualUsdc); kept as a last line of defence.
    error MusicDEXInsufficientReserve(uint256 usdcOut, uint256 usdcReserve);
    /// @notice `caller` is not the market's `creator`.
    error MusicDEXNotCreator(address caller, address creator);
    /// @notice `caller` is not the protocol `treasury`.
    error MusicDEXNotTreasury(address caller, address treasury);
    /// @notice There are no accrued fees to claim or release for `coin` (the zero address for the treasury).
    error MusicDEXNoFeesToClaim(address coin);

    // ------------------------------------------------------------------ events
    // Topics index only what an indexer filters by (coin, creator, trader, treasury); amounts stay in data,
    // where they are cheaper and the indexer reads them anyway.
    // solhint-disable gas-indexed-events

    /// @notice The market of `coin` opened with `coinReserve` coins on a `virtualUsdc` virtual reserve.
    event MarketOpened(address indexed coin, address indexed creator, uint256 coinReserve, uint256 virtualUsdc);

    /// @notice A trade: `usdcAmount` is what the trader paid (buy, fee included) or received (sell, fee
    /// deducted); `fee` is the total fee; the reserves are those after the trade, so the price after it is
    /// (virtualUsdc + usdcReserve) / coinReserve.
    event Swapped(
        address indexed coin,
        address indexed trader,
        address recipient,
        bool isBuy,
        uint256 usdcAmount,
        uint256 coinAmount,
        uint256 fee,
        uint256 usdcReserve,
        uint256 coinReserve
    );

    /// @notice The `creator` of `coin` claimed `amount` USDC of creator fees, sent to `to`.
    event CreatorFeesClaimed(address indexed coin, address indexed creator, address to, uint256 amount);

    /// @notice The `treasury` claimed `amount` USDC of treasury fees, sent to `to`.
    event TreasuryFeesClaimed(address indexed treasury, address to, uint256 amount);

    /// @notice The protocol treasury changed.
    event TreasuryUpdated(address indexed previousTreasury, address indexed newTreasury);

    /// @notice The virtual USDC reserve given to markets opened from now on changed.
    event DefaultVirtualUsdcUpdated(uint256 previousVirtualUsdc, uint256 newVirtualUsdc);

    // solhint-enable gas-indexed-events

    // ------------------------------------------------------------------ trading

    /// @notice Buys coins with exactly `usdcIn` USDC (fee included) pulled from the caller.
    /// @dev Needs a USDC allowance of `usdcIn`. Reverts when paused, past `deadline`, on an unknown market,
    /// on a zero or oversized amount, when nothing comes out, or below `minCoinsOut`.
    /// @param coin The creator coin to buy.
    /// @param usdcIn USDC paid, fee included (6 decimals).
    /// @param minCoinsOut Fewest coins accepted.
    /// @param recipient Receives the coins.
    /// @param deadline Last valid block timestamp.
    /// @return coinsOut Coins sent to `recipient`; equals `quoteBuy(coin, usdcIn)` in the same state.
    function buy(address coin, uint256 usdcIn, uint256 minCoinsOut, address recipient, uint256 deadline)
        external
        returns (uint256 coinsOut);

    /// @notice Sells exactly `coinsIn` coins pulled from the caller for USDC, fee deducted.
    /// @dev Needs a coin allowance of `coinsIn`. Reverts as `buy` does, and with MusicDEXInvalidAmount when
    /// `coinsIn` exceeds the market's outstanding coins (no holder can have more). Priced on sellVirtualUsdc, so
    /// it never pays more than the real USDC reserve.
    /// @param coin The creator coin to sell.
    /// @param coinsIn Coins sold.
    /// @param minUsdcOut Least USDC accepted, after the fee.
    /// @param recipient Receives the USDC.
    /// @param deadline Last valid block timestamp.
    /// @return usdcOut USDC sent to `recipient`; equals `quoteSell(coin, coinsIn)` in the same state.
    function sell(address coin, uint256 coinsIn, uint256 minUsdcOut, address recipient, uint256 deadline)
        external
        returns (uint256 usdcOut);

    // ------------------------------------------------------------------ fees

    /// @notice Sends the accrued creator fees of `coin` to `to`; only the market's creator.
    /// @return amount USDC sent.
    function claimCreatorFees(address coin, address to) external returns (uint256 amount);

    /// @notice Sends the accrued treasury fees of every market to `to`; only the treasury.
    /// @return amount USDC sent.
    function claimTreasuryFees(address to) external returns (uint256 amount);

    // ------------------------------------------------------------------ governance

    /// @notice Sets the treasury that claims treasury fees (including those already accrued); only
    /// DEFAULT_ADMIN_ROLE.
    function setTreasury(address newTreasury) external;

    /// @notice Sets the virtual USDC reserve of markets opened from now on (open markets keep theirs);
    /// only DEFAULT_ADMIN_ROLE. Must lie in [MIN_VIRTUAL_USDC, MAX_VIRTUAL_USDC].
    function setDefaultVirtualUsdc(uint256 newVirtualUsdc) external;

    /// @notice Stops `buy` and `sell`; only PAUSER_ROLE. Fee claims keep working.
    function pause() external;

    /// @notice Resumes trading; only PAUSER_ROLE.
    function unpause() external;

    // ------------------------------------------------------------------ views

    /// @notice The exact result of `buy(coin, usdcIn, ...)` in the current state.
    /// @return coinsOut Coins the buyer would receive (may be zero, where `buy` reverts).
    /// @return fee Total fee taken from `usdcIn`.
    function quoteBuy(address coin, uint256 usdcIn) external view returns (uint256 coinsOut, uint256 fee);

    /// @notice The exact result of `sell(coin, coinsIn, ...)` in the current state.
    /// @return usdcOut USDC the seller would receive after the fee (may be zero, where `sell` reverts).
    /// @return fee Total fee taken from the curve's output.
    function quoteSell(address coin, uint256 coinsIn) external view returns (uint256 usdcOut, uint256 fee);

    /// @notice Every field of the market of `coin` (all zero when it is not open).
    function market(address coin) external view returns (Market memory);

    /// @notice The marginal buy price of `coin`: USDC units (6 decimals) per 1e18 coin units, rounded down,
    /// with the market's pending revenue (what the next trade adds to the reserve) included.
    function spotPrice(address coin) external view returns (uint256);

    /// @notice The virtual USDC reserve that sells of `coin` are priced on now: min(virtualUsdc,
    /// usdcReserve · coinReserve / outstanding), with the market's pending revenue in usdcReserve.
    function sellVirtualUsdc(address coin) external view returns (uint256);

    /// @notice The protocol treasury.
    function treasury() external view returns (address);

    /// @notice Accrued treasury fees of all markets, not yet claimed.
    function treasuryFees() external view returns (uint256);

    /// @notice The virtual USDC reserve that the next market opened gets.
    function defaultVirtualUsdc() external view returns (uint256);

    /// @notice The quote token (USDC).
    function USDC() external view returns (IERC20); // solhint-disable-line func-name-mixedcase

    /// @notice The coins' registry and revenue router (the DEX credits holder fees on the coins directly).
    function DISTRIBUTOR() external view returns (IRevenueDistributor); // solhint-disable-line func-name-mixedcase

    /// @notice Role allowed to open markets (the CreatorCoinFactory).
    function MARKET_OPENER_ROLE() external view returns (bytes32); // solhint-disable-line func-name-mixedcase

    /// @notice Role allowed to pause and unpause trading.
    function PAUSER_ROLE() external view returns (bytes32); // solhint-disable-line func-name-mixedcase

    /// @notice Smallest virtual USDC reserve governance may set.
    function MIN_VIRTUAL_USDC() external view returns (uint256); // solhint-disable-line func-name-mixedcase

    /// @notice Largest virtual USDC reserve governance may set.
    function MAX_VIRTUAL_USDC() external view returns (uint256); // solhint-disable-line func-name-mixedcase
}
