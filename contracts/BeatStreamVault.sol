// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IBeatStreamVault} from "./interfaces/IBeatStreamVault.sol";
import {ICreatorCoinFactory} from "./interfaces/ICreatorCoinFactory.sol";
import {ICreatorRegistry} from "./interfaces/ICreatorRegistry.sol";
import {IRevenueDistributor} from "./interfaces/IRevenueDistributor.sol";

/// @title BeatStreamVault
/// @notice Listeners' prepaid USDC, paid to artists per second through signed cumulative vouchers
/// settled in batches.
/// @dev Invariants:
///  1. USDC held by the vault ≥ Σ listener balances + Σ artist earnings + Σ holder revenue accrued (equal, absent
///     direct donations): deposits credit exactly what was pulled, `settle` only moves value from a balance to an
///     earnings entry and a holder accrual whose sum is what it moved, and every payout or distribution debits
///     before it transfers.
///  2. A session (listener, artist, sessionId) never pays more than the highest `cumulativeAmount` its
///     listener signed: `settle` pays at most `cumulativeAmount - settled` and adds it to `settled`.
///  3. Earnings accrue only to creators (`CREATOR_REGISTRY.isCreator`): a voucher cannot name an arbitrary
///     address of the listener's as payee. Minting a track is open to anyone, so a listener that first mints
///     a track from a second address is a creator too; what bounds that path is the relayer, which accepts a
///     session's vouchers only at its per-second rate over the time actually streamed and reserves the
///     listener's funds for every voucher it accepted, so such a listener moves its own money out no faster
///     than it streams it, and never money the relayer already promised to other artists.
///  4. A listener's withdrawal executes only while the vault is unpaused and only after `WITHDRAWAL_DELAY`
///     seconds of unpaused time since its request: settlement stops during a pause, so a pause extends, and
///     never shortens, the time the relayer has to settle what the listener's vouchers owe artists.
///  5. A creator's holder share applies only to revenue settled while it is in force, never to what was settled
///     before, and a lowered share comes into force only DISTRIBUTION_PERIOD after it was announced. Holder revenue
///     leaves the vault only into the RevenueDistributor for the creator's own coin, at most once per period.
/// No role can move user funds at will: the admin can only grant roles, the relayer can only settle
/// what listeners signed to creators, and the pauser can stop deposits, settlement and listeners'
/// withdrawals (delaying, never taking), never artists' withdrawals of what they earned.
contract BeatStreamVault is IBeatStreamVault, EIP712, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IBeatStreamVault
    // The string is hashed at compile time, so its length costs nothing at run time.
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant STREAM_VOUCHER_TYPEHASH = keccak256(
        "StreamVoucher(address listener,address artist,bytes32 sessionId,uint256 cumulativeAmount,uint64 deadline)"
    );
    /// @inheritdoc IBeatStreamVault
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IBeatStreamVault
    bytes32 public constant RELAYER_ROLE = keccak256("RELAYER_ROLE");
    /// @dev A longer delay would lock listeners' unspent funds for longer than any voucher needs to settle.
    uint64 private constant MAX_WITHDRAWAL_DELAY = 30 days;
    /// @dev Bounds of DISTRIBUTION_PERIOD: an hour for test and demo chains, a year at most so that holders are paid
    /// and a lowered share applies within one.
    uint64 private constant MIN_DISTRIBUTION_PERIOD = 1 hours;
    uint64 private constant MAX_DISTRIBUTION_PERIOD = 366 days;
    /// @dev A holder share is in basis points of the settled amount.
    uint256 private constant BPS = 10_000;
    /// @dev An artist's word: earnings in bits 0-127, then the holder share (HolderShare's layout) from bit 128.
    uint256 private constant EARNINGS_BITS = 128;
    /// @dev r (32) + s (32) + v (1): the signatures travel packed, without per-item ABI offsets.
    uint256 private constant SIGNATURE_LENGTH = 65;
    /// @dev secp256k1n / 2: the largest `s` of a non-malleable signature (EIP-2, OpenZeppelin ECDSA).
    uint256 private constant MAX_LOW_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @inheritdoc IBeatStreamVault
    /// @dev Immutable: the balances are denominated in this token, swapping it would strand them.
    IERC20 public immutable USDC;
    /// @inheritdoc IBeatStreamVault
    /// @dev Immutable: who can be paid is part of what listeners deposit under; a replaceable registry would let
    /// its owner make any address payable.
    ICreatorRegistry public immutable CREATOR_REGISTRY;
    /// @inheritdoc IBeatStreamVault
    /// @dev Immutable so that a listener's exit time can never be lengthened after it deposited (other than by
    /// a pause, which stops settlement too).
    uint64 public immutable WITHDRAWAL_DELAY;
    /// @inheritdoc IBeatStreamVault
    /// @dev Immutable: who holders are is the factory's record of coins; the zero address disables holder shares.
    ICreatorCoinFactory public immutable COIN_FACTORY;
    /// @inheritdoc IBeatStreamVault
    /// @dev The factory's own distributor, read once: the only place holder revenue can go.
    IRevenueDistributor public immutable DISTRIBUTOR;
    /// @inheritdoc IBeatStreamVault
    /// @dev Immutable: periods are numbered block.timestamp / DISTRIBUTION_PERIOD, and a period that could change
    /// would renumber them (reopening one already distributed) and shorten the notice of a lowered share.
    uint64 public immutable DISTRIBUTION_PERIOD;

    /// @dev A withdrawal request as stored: `availableAt` as announced (no pause assumed) and `readyAt`, the reading
    /// of the unpaused clock at which it can execute. One slot.
    struct PendingWithdrawal {
        uint128 amount;
        uint64 availableAt;
        uint64 readyAt;
    }

    /// @dev Holder revenue of a creator waiting for distribution, and the first period it may be distributed in
    /// (zero: never distributed). One slot, touched only by settlements to a creator with a share and by
    /// distributions.
    struct HolderPool {
        uint128 accrued;
        uint64 nextPeriod;
    }

    mapping(address listener => uint256) private _balances;
    /// @dev Earnings (bits 0-127) and the holder share (bits 128-143 the share in force, 144-159 a pending lower
    /// share, 160-223 when it applies): settlement reads the share with the earnings it writes anyway, so an artist
    /// without a share (all bits from 128 zero) costs it nothing more than before.
    mapping(address artist => uint256) private _artists;
    mapping(address creator => HolderPool) private _holderPools;
    mapping(bytes32 sessionKey => uint256) private _settled;
    mapping(address listener => PendingWithdrawal) private _withdrawals;
    /// @dev The unpaused clock, which withdrawal delays run on: seconds spent unpaused up to `_clockResumedAt`
    /// (while paused: up to the pause), and the time it last resumed. One slot; see `_unpausedClock`.
    uint64 private _unpausedSeconds;
    uint64 private _clockResumedAt;

    /// @param coins The CreatorCoinFactory whose coins receive holder shares; the zero address for a vault without
    /// creator coins (then `setHolderShare` always reverts).
    /// @param distributionPeriod Seconds per distribution period (91 days for a quarter).
    constructor(
        IERC20 usdc,
        ICreatorRegistry creators,
        uint64 withdrawalDelay,
        address admin,
        ICreatorCoinFactory coins,
        uint64 distributionPeriod
    ) EIP712("BeatStreamVault", "1") {
        if (address(usdc) == address(0) || address(creators) == address(0) || admin == address(0)) {
            revert BeatStreamVaultZeroAddress();
        }
        if (withdrawalDelay > MAX_WITHDRAWAL_DELAY) {
            revert BeatStreamVaultWithdrawalDelayTooLong(withdrawalDelay, MAX_WITHDRAWAL_DELAY);
        }
        if (distributionPeriod < MIN_DISTRIBUTION_PERIOD || distributionPeriod > MAX_DISTRIBUTION_PERIOD) {
            revert BeatStreamVaultInvalidDistributionPeriod(
                distributionPeriod, MIN_DISTRIBUTION_PERIOD, MAX_DISTRIBUTION_PERIOD
            );
        }
        USDC = usdc;
        CREATOR_REGISTRY = creators;
        WITHDRAWAL_DELAY = withdrawalDelay;
        COIN_FACTORY = coins;
        DISTRIBUTOR = address(coins) == address(0) ? IRevenueDistributor(address(0)) : coins.DISTRIBUTOR();
        DISTRIBUTION_PERIOD = distributionPeriod;
        _clockResumedAt = uint64(block.timestamp);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    // -------------------------------------------------------------------------------------- listeners

    /// @inheritdoc IBeatStreamVault
    function deposit(uint256 amount) external nonReentrant whenNotPaused {
        _deposit(amount);
    }

    /// @inheritdoc IBeatStreamVault
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        whenNotPaused
    {
        // A failed permit is fine when the allowance is there anyway (someone front-ran the same permit);
        // otherwise the permit's own error says best why the deposit cannot happen.
        // solhint-disable-next-line no-empty-blocks
        try IERC20Permit(address(USDC)).permit(msg.sender, address(this), amount, deadline, v, r, s) {}
        catch (bytes memory reason) {
            if (USDC.allowance(msg.sender, address(this)) < amount) _bubble(reason);
        }
        _deposit(amount);
    }

    /// @inheritdoc IBeatStreamVault
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert BeatStreamVaultZeroAmount();
        uint256 balance = _balances[msg.sender];
        if (amount > balance) revert BeatStreamVaultInsufficientBalance(msg.sender, balance, amount);
        uint64 availableAt = uint64(block.timestamp) + WITHDRAWAL_DELAY;
        _withdrawals[msg.sender] =
            PendingWithdrawal(SafeCast.toUint128(amount), availableAt, _unpausedClock() + WITHDRAWAL_DELAY);
        emit WithdrawalRequested(msg.sender, amount, availableAt);
    }

    /// @inheritdoc IBeatStreamVault
    function withdraw() external nonReentrant whenNotPaused {
        PendingWithdrawal memory request = _pendingRequest(msg.sender);
        uint64 left = _delayLeft(request);
        if (left != 0) revert BeatStreamVaultWithdrawalNotReady(uint64(block.timestamp) + left, block.timestamp);
        uint256 balance = _balances[msg.sender];
        uint256 amount = request.amount < balance ? request.amount : balance;
        delete _withdrawals[msg.sender];
        // amount ≤ balance by the line above.
        unchecked {
            _balances[msg.sender] = balance - amount;
        }
        emit Withdrawn(msg.sender, amount);
        if (amount != 0) USDC.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IBeatStreamVault
    function cancelWithdrawal() external {
        PendingWithdrawal memory request = _pendingRequest(msg.sender);
        delete _withdrawals[msg.sender];
        emit WithdrawalCancelled(msg.sender, request.amount);
    }

    // ---------------------------------------------------------------------------------------- relayer

    /// @inheritdoc IBeatStreamVault
    /// @dev No reentrancy guard needed: settle calls nothing but the ecrecover precompile. Relayer-only
    /// because a listener settling its own voucher to an address it controls would exit at once,
    /// around the withdrawal delay that gives the artists' vouchers time to settle.
    function settle(StreamVoucher[] calldata vouchers, bytes calldata signatures)
        external
        onlyRole(RELAYER_ROLE)
        whenNotPaused
    {
        uint256 count = vouchers.length;
        if (signatures.length != count * SIGNATURE_LENGTH) {
            revert BeatStreamVaultSignaturesLengthMismatch(count, signatures.length);
        }
        // Read once: the domain cannot change within a call.
        bytes32 domainSeparator = _domainSeparatorV4();
        // Consecutive vouchers of one artist add up here and reach storage once per run.
        address runArtist;
        uint256 runAmount;
        for (uint256 i; i < count; ++i) {
            (address artist, uint256 paid) = _settleOne(vouchers[i], domainSeparator, signatures, i);
            if (artist == runArtist) {
                // Σ paid ≤ Σ listener balances ≤ USDC supply, so the running sum cannot overflow.
                unchecked {
                    runAmount += paid;
                }
            } else {
                // Once per run: every voucher of the run pays this same artist. A run cannot begin unchecked, since
                // _settleOne refuses the zero artist that runArtist starts as.
                if (!CREATOR_REGISTRY.isCreator(artist)) revert BeatStreamVaultNotCreator(i, artist);
                _credit(runArtist, runAmount);
                runArtist = artist;
                runAmount = paid;
            }
        }
        _credit(runArtist, runAmount);
    }

    // ---------------------------------------------------------------------------------------- artists

    /// @inheritdoc IBeatStreamVault
    function withdrawEarnings(address to) external nonReentrant {
        if (to == address(0)) revert BeatStreamVaultZeroAddress();
        uint256 word = _artists[msg.sender];
        uint256 amount = uint128(word);
        if (amount == 0) revert BeatStreamVaultNoEarnings(msg.sender);
        // Keeps the holder share, clears the earnings.
        _artists[msg.sender] = word ^ amount;
        emit EarningsWithdrawn(msg.sender, to, amount);
        USDC.safeTransfer(to, amount);
    }

    /// @inheritdoc IBeatStreamVault
    function setHolderShare(uint256 bps) external {
        if (bps > BPS) revert BeatStreamVaultInvalidHolderShare(bps);
        if (address(COIN_FACTORY) == address(0) || COIN_FACTORY.coinOf(msg.sender) == address(0)) {
            revert BeatStreamVaultNoCoin(msg.sender);
        }
        uint256 word = _artists[msg.sender];
        uint256 current = _shareInForce(word >> EARNINGS_BITS);
        uint64 effectiveAt = uint64(block.timestamp);
        uint256 share = bps;
        if (bps < current) {
            // The share in force stays for one more period; a second lowering restarts the notice.
            effectiveAt += DISTRIBUTION_PERIOD;
            share = current | (bps << 16) | (uint256(effectiveAt) << 32);
        }
        _artists[msg.sender] = uint128(word) | (share << EARNINGS_BITS);
        emit HolderShareSet(msg.sender, bps, effectiveAt);
    }

    // ---------------------------------------------------------------------------------------- holders

    /// @inheritdoc IBeatStreamVault
    function distributeHolderRevenue(address creator) external nonReentrant returns (uint64 period, uint256 amount) {
        HolderPool memory pool = _holderPools[creator];
        period = _currentPeriod();
        if (period < pool.nextPeriod) {
            revert BeatStreamVaultDistributionTooEarly(creator, period, pool.nextPeriod * DISTRIBUTION_PERIOD);
        }
        amount = pool.accrued;
        if (amount == 0) revert BeatStreamVaultNothingToDistribute(creator);
        // Accrual needs a share, a share needs the coin, and the factory never unsets a coin: coin is not zero.
        address coin = COIN_FACTORY.coinOf(creator);
        _holderPools[creator] = HolderPool(0, period + 1);
        emit HolderRevenueDistributed(creator, coin, period, amount, msg.sender);
        USDC.forceApprove(address(DISTRIBUTOR), amount);
        DISTRIBUTOR.deposit(coin, amount);
    }

    // ------------------------------------------------------------------------------------------ admin

    /// @inheritdoc IBeatStreamVault
    function pause() external onlyRole(PAUSER_ROLE) {
        // Read before _pause: the clock counts up to now, then stands still.
        _unpausedSeconds = _unpausedClock();
        _pause();
    }

    /// @inheritdoc IBeatStreamVault
    function unpause() external onlyRole(PAUSER_ROLE) {
        _clockResumedAt = uint64(block.timestamp);
        _unpause();
    }

    // ------------------------------------------------------------------------------------------ views

    /// @inheritdoc IBeatStreamVault
    function hashVoucher(StreamVoucher calldata voucher) external view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparatorV4(), _structHash(voucher));
    }

    /// @inheritdoc IBeatStreamVault
    function balanceOf(address listener) external view returns (uint256) {
        return _balances[listener];
    }

    /// @inheritdoc IBeatStreamVault
    function earningsOf(address artist) external view returns (uint256) {
        return uint128(_artists[artist]);
    }

    /// @inheritdoc IBeatStreamVault
    function holderShareOf(address creator) external view returns (uint256) {
        return _shareInForce(_artists[creator] >> EARNINGS_BITS);
    }

    /// @inheritdoc IBeatStreamVault
    function holderShareConfig(address creator) external view returns (uint16 bps, uint16 nextBps, uint64 nextAt) {
        uint256 share = _artists[creator] >> EARNINGS_BITS;
        bps = uint16(_shareInForce(share));
        nextAt = uint64(share >> 32);
        // A lowering that has applied is no longer pending.
        if (nextAt > block.timestamp) nextBps = uint16(share >> 16);
        else nextAt = 0;
    }

    /// @inheritdoc IBeatStreamVault
    function holderRevenueOf(address creator) external view returns (uint256) {
        return _holderPools[creator].accrued;
    }

    /// @inheritdoc IBeatStreamVault
    function currentDistributionPeriod() external view returns (uint64) {
        return _currentPeriod();
    }

    /// @inheritdoc IBeatStreamVault
    function nextDistributionPeriod(address creator) external view returns (uint64) {
        return _holderPools[creator].nextPeriod;
    }

    /// @inheritdoc IBeatStreamVault
    function settledAmount(address listener, address artist, bytes32 sessionId) external view returns (uint256) {
        return _settled[keccak256(abi.encode(listener, artist, sessionId))];
    }

    /// @inheritdoc IBeatStreamVault
    function pendingWithdrawal(address listener) external view returns (WithdrawalRequest memory) {
        PendingWithdrawal memory request = _withdrawals[listener];
        return WithdrawalRequest(request.amount, request.availableAt);
    }

    /// @inheritdoc IBeatStreamVault
    function withdrawalDelayLeft(address listener) external view returns (uint64) {
        return _delayLeft(_withdrawals[listener]);
    }

    // --------------------------------------------------------------------------------------- private

    function _deposit(uint256 amount) private {
        if (amount == 0) revert BeatStreamVaultZeroAmount();
        _balances[msg.sender] += amount;
        emit Deposited(msg.sender, amount);
        USDC.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Verifies one voucher and pays what it adds over the session's settled amount, capped by the
    /// listener's balance. Returns the voucher's artist and the amount paid (the caller credits it).
    function _settleOne(
        StreamVoucher calldata voucher,
        bytes32 domainSeparator,
        bytes calldata signatures,
        uint256 index
    ) private returns (address artist, uint256 paid) {
        address listener;
        uint64 deadline;
        bytes32 digest;
        bytes32 sessionKey;
        (listener, artist, deadline, digest, sessionKey) = _load(voucher, domainSeparator);
        // Checked for every voucher, not once per run of artists: runArtist starts as address(0), so a
        // zero artist at index 0 would otherwise join that run unchecked.
        if (artist == address(0)) revert BeatStreamVaultZeroArtist(index);
        // A listener paying itself would turn its balance into earnings, which leave without the delay.
        if (artist == listener) revert BeatStreamVaultSelfPayment(index);
        if (block.timestamp > deadline) revert BeatStreamVaultVoucherExpired(index, deadline);
        address signer = _recover(digest, signatures, index);
        // address(0) is what a failed recovery returns, so it never authorises a voucher.
        if (signer != listener || signer == address(0)) revert BeatStreamVaultInvalidSignature(index);
        paid = _pay(voucher, listener, artist, sessionKey);
    }

    /// @dev Pays `min(cumulative - settled, balance)` from `listener` into the session and returns it;
    /// pays nothing when `cumulative <= settled` (an old or repeated voucher: skipping it makes a retried
    /// settle harmless) or when the balance is empty. Written in assembly because it runs once per voucher
    /// in the hottest loop; it is `_settled[sessionKey]` and `_balances[listener]` arithmetic, nothing more.
    function _pay(StreamVoucher calldata voucher, address listener, address artist, bytes32 sessionKey)
        private
        returns (uint256 paid)
    {
        bytes32 settledEvent = StreamSettled.selector;
        assembly ("memory-safe") {
            let cumulative := calldataload(add(voucher, 0x60))
            // Mapping slots as Solidity lays them out: keccak256(key ‖ mapping slot).
            mstore(0x00, sessionKey)
            mstore(0x20, _settled.slot)
            let settledSlot := keccak256(0x00, 0x40)
            let settled := sload(settledSlot)
            if gt(cumulative, settled) {
                mstore(0x00, listener)
                mstore(0x20, _balances.slot)
                let balanceSlot := keccak256(0x00, 0x40)
                let funds := sload(balanceSlot)
                // No underflow: cumulative > settled. Capped by the balance, so the balance cannot underflow,
                // and settled + paid ≤ cumulative cannot overflow.
                paid := sub(cumulative, settled)
                if gt(paid, funds) { paid := funds }
                if paid {
                    sstore(balanceSlot, sub(funds, paid))
                    settled := add(settled, paid)
                    sstore(settledSlot, settled)
                    // emit StreamSettled(sessionKey, listener, artist, sessionId, paid, settled), data in
                    // the unallocated memory past the free pointer.
                    let m := mload(0x40)
                    mstore(m, calldataload(add(voucher, 0x40))) // sessionId
                    mstore(add(m, 0x20), paid)
                    mstore(add(m, 0x40), settled)
                    log4(m, 0x60, settledEvent, sessionKey, listener, artist)
                }
            }
        }
    }

    /// @dev Credits a run's `amount` to `artist`: all of it to earnings when it has no holder share (the hot path:
    /// one read and one write of the word settlement always wrote), else split by _creditShared.
    function _credit(address artist, uint256 amount) private {
        if (amount == 0) return;
        uint256 word = _artists[artist];
        if (word >> EARNINGS_BITS == 0) {
            // The checked add and the cast keep earnings within their 128 bits (Σ paid ≤ USDC supply anyway).
            _artists[artist] = SafeCast.toUint128(word + amount);
        } else {
            _creditShared(artist, word, amount);
        }
    }

    /// @dev Splits `amount` between `creator`'s earnings and its holder pool by the share in force, rounding the
    /// holders' part down, and stores a lowering that has come into force as the share itself.
    function _creditShared(address creator, uint256 word, uint256 amount) private {
        uint256 share = word >> EARNINGS_BITS;
        uint256 bps = _shareInForce(share);
        // A pending lowering that has applied becomes the share; one still pending stays as it is.
        // solhint-disable-next-line gas-strict-inequalities
        if (uint64(share >> 32) <= block.timestamp) share = bps;
        // bps ≤ 10_000 and amount < 2^128: no overflow; holders ≤ amount.
        uint256 holders;
        unchecked {
            holders = (amount * bps) / BPS;
        }
        _artists[creator] = SafeCast.toUint128(uint128(word) + (amount - holders)) | (share << EARNINGS_BITS);
        if (holders != 0) {
            HolderPool storage pool = _holderPools[creator];
            uint128 accrued = SafeCast.toUint128(pool.accrued + holders);
            pool.accrued = accrued;
            emit HolderRevenueAccrued(creator, holders, accrued);
        }
    }

    /// @dev The share in force of a stored share (`_artists` bits 128+): the pending lower one once its time came.
    function _shareInForce(uint256 share) private view returns (uint256) {
        uint256 nextAt = uint64(share >> 32);
        // In force from nextAt on (inclusive), as setHolderShare announces it.
        // solhint-disable-next-line gas-strict-inequalities
        return nextAt != 0 && nextAt <= block.timestamp ? uint16(share >> 16) : uint16(share);
    }

    function _currentPeriod() private view returns (uint64) {
        return uint64(block.timestamp / DISTRIBUTION_PERIOD);
    }

    /// @dev A request's amount is never zero (requestWithdrawal refuses zero), so zero means none.
    function _pendingRequest(address listener) private view returns (PendingWithdrawal memory request) {
        request = _withdrawals[listener];
        if (request.amount == 0) revert BeatStreamVaultNoWithdrawalRequest(listener);
    }

    /// @dev Unpaused seconds `request` still waits for (zero for no request, whose readyAt is zero).
    function _delayLeft(PendingWithdrawal memory request) private view returns (uint64) {
        uint64 clock = _unpausedClock();
        // No underflow: subtracted only when readyAt is the larger.
        unchecked {
            return request.readyAt > clock ? request.readyAt - clock : 0;
        }
    }

    /// @dev Seconds the vault has spent unpaused since its deployment: stands still while paused.
    function _unpausedClock() private view returns (uint64) {
        if (paused()) return _unpausedSeconds;
        // No underflow: _clockResumedAt is a past block's timestamp. No overflow: both are below 2^64 seconds of
        // time that has actually passed.
        unchecked {
            return _unpausedSeconds + (uint64(block.timestamp) - _clockResumedAt);
        }
    }

    /// @dev Returns the signer of the `index`-th 65-byte signature (r ‖ s ‖ v), or address(0) when it is
    /// invalid. The rule is OpenZeppelin's `ECDSA.tryRecover(hash, v, r, s)`: an `s` in the upper half of
    /// the curve order (the malleable twin of a valid signature) is refused before `ecrecover`, and a bad
    /// `v` or point makes the precompile return nothing, read here as address(0). It is inlined because
    /// the library's generic path costs ~240 gas more per voucher, which the settle budget cannot spare;
    /// `BeatStreamVault.settle.t.sol` fuzzes this against `ECDSA.tryRecover`.
    function _recover(bytes32 digest, bytes calldata signatures, uint256 index) private view returns (address signer) {
        assembly ("memory-safe") {
            // settle checked that `signatures` holds 65 bytes for every index.
            let p := add(signatures.offset, mul(index, SIGNATURE_LENGTH))
            let s := calldataload(add(p, 0x20))
            if iszero(gt(s, MAX_LOW_S)) {
                // ecrecover(digest, v, r, s) with its input in the unallocated memory past the free pointer.
                let m := mload(0x40)
                mstore(m, digest)
                mstore(add(m, 0x20), byte(0, calldataload(add(p, 0x40))))
                mstore(add(m, 0x40), calldataload(p))
                mstore(add(m, 0x60), s)
                mstore(0x00, 0)
                pop(staticcall(gas(), 1, m, 0x80, 0x00, 0x20))
                signer := mload(0x00)
            }
        }
    }

    /// @dev Re-raises a caught revert with its original data.
    function _bubble(bytes memory reason) private pure {
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }

    function _structHash(StreamVoucher calldata voucher) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                STREAM_VOUCHER_TYPEHASH,
                voucher.listener,
                voucher.artist,
                voucher.sessionId,
                voucher.cumulativeAmount,
                voucher.deadline
            )
        );
    }

    /// @dev Reads the voucher's addresses and deadline, and hashes its EIP-712 digest and session key,
    /// straight from calldata. The voucher's five words are its ABI encoding, so the struct hash is
    /// keccak256(TYPEHASH ‖ voucher) and the session key keccak256(first three words); words with dirty
    /// high bits are rejected as Solidity's decoder would, so every hashed word is canonical.
    function _load(StreamVoucher calldata voucher, bytes32 domainSeparator)
        private
        pure
        returns (address listener, address artist, uint64 deadline, bytes32 digest, bytes32 sessionKey)
    {
        bytes32 typeHash = STREAM_VOUCHER_TYPEHASH;
        assembly ("memory-safe") {
            listener := calldataload(voucher)
            artist := calldataload(add(voucher, 0x20))
            deadline := calldataload(add(voucher, 0x80))
            if or(or(shr(160, listener), shr(160, artist)), shr(64, deadline)) { revert(0, 0) }
            // Temporary use of the memory past the free pointer, never allocated: nothing grows per voucher.
            let m := mload(0x40)
            mstore(m, typeHash)
            calldatacopy(add(m, 0x20), voucher, 0xa0)
            let structHash := keccak256(m, 0xc0)
            sessionKey := keccak256(add(m, 0x20), 0x60)
            // keccak256("\x19\x01" ‖ domainSeparator ‖ structHash), as MessageHashUtils.toTypedDataHash.
            mstore(m, hex"1901")
            mstore(add(m, 0x02), domainSeparator)
            mstore(add(m, 0x22), structHash)
            digest := keccak256(m, 0x42)
        }
    }
}
