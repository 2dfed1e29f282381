// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Amounts are event data on purpose: nobody filters logs by an amount, and a topic costs more than data.
// solhint-disable gas-indexed-events

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ICreatorCoinFactory} from "./ICreatorCoinFactory.sol";
import {ICreatorRegistry} from "./ICreatorRegistry.sol";
import {IRevenueDistributor} from "./IRevenueDistributor.sol";

/// @title IBeatStreamVault
/// @notice Pay-per-second streaming settled in batches. Listeners deposit USDC and sign cumulative
/// EIP-712 `StreamVoucher`s while they listen; the relayer (RELAYER_ROLE) submits the latest
/// vouchers through `settle`, which moves only the increase over what each session already paid from
/// the listener's balance to the artist's earnings; only creators (`CREATOR_REGISTRY`) can be paid. Listeners
/// leave through a delayed withdrawal that gives the last vouchers time to settle: the delay counts unpaused
/// time only, and no withdrawal executes while the vault is paused, so a pause never eats into the time the
/// relayer has to settle what artists already earned. Artists withdraw their earnings at any time.
///
/// Holder share: a creator whose coin exists (`COIN_FACTORY.coinOf`) may set aside `bps` of its streaming revenue
/// for the coin's holders (`setHolderShare`). Every settlement to it then accrues `amount · bps / 10_000`, rounded
/// down (the creator keeps the rounding, at most one USDC unit per settled run), as holder revenue instead of
/// earnings. Raising the share applies at once; lowering it applies only after one `DISTRIBUTION_PERIOD`, so a
/// creator cannot advertise a share to buyers and cut it just before a distribution. Anyone may move the accrued
/// holder revenue into the RevenueDistributor for the creator's coin (`distributeHolderRevenue`), at most once per
/// period; the coin unlocks a deposit over time, so a holder earns of it only in proportion to its hold time.
interface IBeatStreamVault {
    /// @notice What a listener signs: "for session `sessionId` with `artist`, I owe `cumulativeAmount`
    /// in total so far", valid until `deadline`. A later voucher of the same session carries a larger
    /// `cumulativeAmount`; only the highest one ever matters.
    /// @dev Field order is the signed EIP-712 type and the struct only ever lives in calldata, so
    /// storage packing does not apply.
    // solhint-disable-next-line gas-struct-packing
    struct StreamVoucher {
        address listener;
        address artist;
        bytes32 sessionId;
        uint256 cumulativeAmount;
        uint64 deadline;
    }

    /// @notice A listener's pending withdrawal of `amount`, payable from `availableAt` if the vault is not paused
    /// before then; every second it is paused meanwhile moves the real moment one second later
    /// (`withdrawalDelayLeft` says how much unpaused time the request still waits for).
    struct WithdrawalRequest {
        uint128 amount;
        uint64 availableAt;
    }

    // ----------------------------------------------------------------------------------------- errors

    /// @notice A constructor argument or a payout recipient is the zero address.
    error BeatStreamVaultZeroAddress();
    /// @notice A deposit or a withdrawal request of zero.
    error BeatStreamVaultZeroAmount();
    /// @notice `listener` asked to withdraw `requested` but holds only `balance`.
    error BeatStreamVaultInsufficientBalance(address listener, uint256 balance, uint256 requested);
    /// @notice `listener` has no pending withdrawal to execute or cancel.
    error BeatStreamVaultNoWithdrawalRequest(address listener);
    /// @notice The pending withdrawal still needs unpaused time: if the vault stays unpaused it becomes payable at
    /// `availableAt`; it is only `currentTime`.
    error BeatStreamVaultWithdrawalNotReady(uint64 availableAt, uint256 currentTime);
    /// @notice `artist` has no earnings to withdraw.
    error BeatStreamVaultNoEarnings(address artist);
    /// @notice `signatures` must hold 65 bytes per voucher: `voucherCount` vouchers, `signaturesLength` bytes.
    error BeatStreamVaultSignaturesLengthMismatch(uint256 voucherCount, uint256 signaturesLength);
    /// @notice The voucher at `index` expired at `deadline`.
    error BeatStreamVaultVoucherExpired(uint256 index, uint64 deadline);
    /// @notice The signature at `index` is malformed or was not made by the voucher's listener.
    error BeatStreamVaultInvalidSignature(uint256 index);
    /// @notice The voucher at `index` pays the zero address, whose earnings nobody could withdraw.
    error BeatStreamVaultZeroArtist(uint256 index);
    /// @notice The voucher at `index` pays its own listener, which would turn a balance into earnings
    /// that leave without the withdrawal delay.
    error BeatStreamVaultSelfPayment(uint256 index);
    /// @notice The voucher at `index` pays `artist`, which is not a creator: a listener could otherwise name an
    /// address of its own and take its balance out as earnings, around the withdrawal delay. Reported at the
    /// first voucher of a run of vouchers to the same artist.
    error BeatStreamVaultNotCreator(uint256 index, address artist);
    /// @notice The constructor's withdrawal `delay` exceeds `max` seconds.
    error BeatStreamVaultWithdrawalDelayTooLong(uint64 delay, uint64 max);
    /// @notice The constructor's distribution `period` is outside [`min`, `max`] seconds.
    error BeatStreamVaultInvalidDistributionPeriod(uint64 period, uint64 min, uint64 max);
    /// @notice A holder share of `bps` basis points exceeds 10,000 (all of the revenue).
    error BeatStreamVaultInvalidHolderShare(uint256 bps);
    /// @notice `creator` has no creator coin (CreatorCoinFactory.coinOf), so there are no holders to share with.
    error BeatStreamVaultNoCoin(address creator);
    /// @notice `creator`'s holder revenue was already distributed in the current period; the next distribution
    /// opens at `nextAt`.
    error BeatStreamVaultDistributionTooEarly(address creator, uint64 period, uint64 nextAt);
    /// @notice `creator` has no holder revenue accrued to distribute.
    error BeatStreamVaultNothingToDistribute(address creator);

    // ----------------------------------------------------------------------------------------- events

    /// @notice `listener` deposited `amount` USDC into its balance.
    event Deposited(address indexed listener, uint256 amount);
    /// @notice `listener` asked to withdraw `amount`, payable from `availableAt` if the vault is not paused before
    /// then (replaces any earlier request; a pause moves the real moment later by the time paused).
    event WithdrawalRequested(address indexed listener, uint256 amount, uint64 availableAt);
    /// @notice `listener` cancelled its pending withdrawal of `amount`.
    event WithdrawalCancelled(address indexed listener, uint256 amount);
    /// @notice `listener` withdrew `amount` USDC (the request capped at what vouchers left of the balance).
    event Withdrawn(address indexed listener, uint256 amount);
    /// @notice `artist` withdrew `amount` USDC of earnings to `to`.
    event EarningsWithdrawn(address indexed artist, address indexed to, uint256 amount);
    /// @notice `creator` set its holder share: `bps` applies from now (`effectiveAt` is the block time) when it is a
    /// raise or the same share; a lower share is announced here and applies from `effectiveAt`, one distribution
    /// period later, the share in force until then being `holderShareOf(creator)`.
    event HolderShareSet(address indexed creator, uint256 bps, uint64 effectiveAt);
    /// @notice A settlement to `creator` set `amount` aside for its coin's holders (the rest became earnings);
    /// `accrued` is what is now waiting for the next distribution.
    event HolderRevenueAccrued(address indexed creator, uint256 amount, uint256 accrued);
    /// @notice `amount` of `creator`'s holder revenue was deposited into the RevenueDistributor for `coin` in
    /// distribution period `period` (block.timestamp / DISTRIBUTION_PERIOD), by `caller`.
    event HolderRevenueDistributed(
        address indexed creator, address indexed coin, uint64 indexed period, uint256 amount, address caller
    );
    /// @notice A voucher moved `amount` from `listener` to `artist`; the session has now paid `totalSettled`.
    /// @param sessionKey keccak256(abi.encode(listener, artist, sessionId)).
    event StreamSettled(
        bytes32 indexed sessionKey,
        address indexed listener,
        address indexed artist,
        bytes32 sessionId,
        uint256 amount,
        uint256 totalSettled
    );

    // -------------------------------------------------------------------------------------- listeners

    /// @notice Pulls `amount` USDC from the caller (approved beforehand) into the caller's balance.
    /// @dev Reverts when paused or when `amount` is zero.
    function deposit(uint256 amount) external;

    /// @notice Like `deposit`, with an EIP-2612 permit for the vault instead of a prior approval.
    /// @dev The permit runs inside try/catch: if someone already submitted it (front-running), the
    /// allowance exists and the deposit still goes through; without an allowance the transfer reverts.
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Starts a withdrawal of `amount` from the caller's balance, payable once the vault has been unpaused
    /// for `WITHDRAWAL_DELAY` seconds since the request.
    /// @dev Replaces any pending request and restarts its delay. The balance stays spendable by
    /// vouchers until the withdrawal executes. Open while paused; its delay starts running at the unpause.
    function requestWithdrawal(uint256 amount) external;

    /// @notice Executes the caller's pending withdrawal once `WITHDRAWAL_DELAY` seconds of unpaused time have passed
    /// since its request, paying `min(requested, balance)` (vouchers may have settled meanwhile).
    /// @dev Reverts while paused: settlement is stopped then, and a listener must not leave with what its signed
    /// vouchers already owe artists before the relayer can settle them.
    function withdraw() external;

    /// @notice Cancels the caller's pending withdrawal.
    function cancelWithdrawal() external;

    // ---------------------------------------------------------------------------------------- relayer

    /// @notice Settles signed vouchers; only RELAYER_ROLE. Each listener's signature bounds what its
    /// voucher pays; the role and the creator check keep a listener from paying an address it controls and
    /// withdrawing those earnings at once, around the withdrawal delay. For each voucher, pays
    /// `min(cumulativeAmount - settled, listener balance)` to the artist and adds it to the session's settled
    /// amount; a voucher at or below the settled amount is skipped, so settling again is harmless. Reverts when
    /// paused, when a voucher expired, names the zero artist, its own listener or an address that is not a
    /// creator as artist, or carries a signature that is not its listener's, or when
    /// `signatures.length != 65 * vouchers.length`.
    /// @dev Sort vouchers by artist: the artist's earnings are written, and `CREATOR_REGISTRY` asked, once per run of
    /// equal artists.
    /// @param vouchers The vouchers to settle.
    /// @param signatures The listeners' signatures, 65 bytes each (r, s, v), concatenated in voucher order.
    function settle(StreamVoucher[] calldata vouchers, bytes calldata signatures) external;

    // ---------------------------------------------------------------------------------------- artists

    /// @notice Pays all of the caller's earnings to `to`. Open while paused.
    function withdrawEarnings(address to) external;

    /// @notice Sets the share of the caller's future streaming revenue, in basis points (≤ 10,000), that accrues to
    /// its coin's holders. A share at or above the one in force applies at once (and cancels a pending lowering); a
    /// lower one applies one DISTRIBUTION_PERIOD from now, the share in force staying until then. Requires the
    /// caller's coin to exist. Holder revenue already accrued is never taken back. Open while paused.
    function setHolderShare(uint256 bps) external;

    // ---------------------------------------------------------------------------------------- holders

    /// @notice Deposits all holder revenue accrued for `creator` into the RevenueDistributor for the creator's coin,
    /// where it unlocks to holders over the coin's REVENUE_UNLOCK_TIME. Anyone may call it, at most once per
    /// distribution period (block.timestamp / DISTRIBUTION_PERIOD) per creator; reverts with
    /// BeatStreamVaultDistributionTooEarly or BeatStreamVaultNothingToDistribute. Open while paused, like artists'
    /// withdrawals: the revenue was already earned.
    /// @return period The distribution period it was made in.
    /// @return amount USDC deposited.
    function distributeHolderRevenue(address creator) external returns (uint64 period, uint256 amount);

    // ------------------------------------------------------------------------------------------ admin

    /// @notice Stops deposits, settlement and listeners' withdrawals, and stops the clock their withdrawal delays
    /// run on; only PAUSER_ROLE. Artists' earnings withdrawals and withdrawal requests stay open.
    function pause() external;

    /// @notice Resumes deposits, settlement and withdrawals, and the withdrawal-delay clock; only PAUSER_ROLE.
    function unpause() external;

    // ------------------------------------------------------------------------------------------ views

    /// @notice The USDC token the vault holds.
    function USDC() external view returns (IERC20);

    /// @notice The registry that says who is a creator (MusicNFT): `settle` pays only creators.
    function CREATOR_REGISTRY() external view returns (ICreatorRegistry);

    /// @notice Seconds of unpaused time between a withdrawal request and the moment it can execute (at most 30 days).
    function WITHDRAWAL_DELAY() external view returns (uint64);

    /// @notice The factory whose coins a creator's holder share goes to (`coinOf`).
    function COIN_FACTORY() external view returns (ICreatorCoinFactory);

    /// @notice The RevenueDistributor holder revenue is deposited through (the factory's).
    function DISTRIBUTOR() external view returns (IRevenueDistributor);

    /// @notice Length of a distribution period in seconds (91 days, a quarter, by default): holder revenue is
    /// distributed at most once per period, and a lowered holder share waits this long.
    function DISTRIBUTION_PERIOD() external view returns (uint64);

    /// @notice The EIP-712 type hash of `StreamVoucher`.
    function STREAM_VOUCHER_TYPEHASH() external view returns (bytes32);

    /// @notice The role allowed to pause and unpause.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice The role allowed to settle vouchers (the relayer), granted by the admin.
    function RELAYER_ROLE() external view returns (bytes32);

    /// @notice The EIP-712 digest a listener signs for `voucher` on this vault and chain.
    function hashVoucher(StreamVoucher calldata voucher) external view returns (bytes32);

    /// @notice Unspent USDC of `listener` (including any amount it has asked to withdraw).
    function balanceOf(address listener) external view returns (uint256);

    /// @notice USDC `artist` has earned and not yet withdrawn.
    function earningsOf(address artist) external view returns (uint256);

    /// @notice The holder share (basis points) in force for `creator` now.
    function holderShareOf(address creator) external view returns (uint256);

    /// @notice `creator`'s holder share as stored: the share in force (`bps`, once any pending lowering has applied)
    /// and a pending lowering to `nextBps` from `nextAt` (zero when none).
    function holderShareConfig(address creator) external view returns (uint16 bps, uint16 nextBps, uint64 nextAt);

    /// @notice Holder revenue of `creator` accrued and not yet distributed.
    function holderRevenueOf(address creator) external view returns (uint256);

    /// @notice The distribution period now: block.timestamp / DISTRIBUTION_PERIOD.
    function currentDistributionPeriod() external view returns (uint64);

    /// @notice The first distribution period in which `creator`'s holder revenue may be distributed again (zero:
    /// never distributed, so any period).
    function nextDistributionPeriod(address creator) external view returns (uint64);

    /// @notice What the session (`listener`, `artist`, `sessionId`) has paid so far.
    function settledAmount(address listener, address artist, bytes32 sessionId) external view returns (uint256);

    /// @notice The pending withdrawal of `listener` (zero amount when none); its `availableAt` assumes no pause, see
    /// `withdrawalDelayLeft` for what a pause changed.
    function pendingWithdrawal(address listener) external view returns (WithdrawalRequest memory);

    /// @notice Seconds of unpaused time the pending withdrawal of `listener` still waits for: it can execute once
    /// this is zero and the vault is not paused; zero when there is no request. While unpaused, the withdrawal
    /// becomes payable at `block.timestamp` plus this.
    function withdrawalDelayLeft(address listener) external view returns (uint64);
}
