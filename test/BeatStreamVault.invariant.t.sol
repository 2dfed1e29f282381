// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {BeatStreamVault} from "../contracts/BeatStreamVault.sol";
import {IBeatStreamVault} from "../contracts/interfaces/IBeatStreamVault.sol";
import {MockCreatorRegistry} from "../contracts/mocks/MockCreatorRegistry.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {VaultHelpers} from "./helpers/vault/VaultHelpers.sol";

/// @dev Drives the vault at random: deposits, vouchers signed with growing and shrinking amounts,
/// settles (single, batched, repeated), withdrawal requests, warps, pauses and unpauses, withdrawal
/// attempts whether due or not, cancellations and artist withdrawals; keeps ghost totals of what entered
/// and left, of the highest amount each session signed, and its own clock of unpaused time to judge
/// every withdrawal that completes.
contract VaultHandler is VaultHelpers {
    uint256 internal constant LISTENERS = 4;
    uint256 internal constant ARTISTS = 3;
    uint256 internal constant SESSIONS = 2; // per (listener, artist)

    MockUSDC public immutable usdc;
    BeatStreamVault public immutable vault;

    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    uint256 public ghostEarningsWithdrawn;
    mapping(bytes32 sessionKey => uint256) public ghostMaxSigned;
    /// Seconds the handler has warped while the vault was unpaused: the reference clock for withdrawal delays.
    uint256 public ghostUnpausedSeconds;
    mapping(address listener => uint256) public ghostRequestedAt;
    uint256 public ghostWithdrawals;
    uint256 public ghostWithdrawalsWhilePaused;
    uint256 public ghostWithdrawalsEarly;
    /// Withdrawals that were due (unpaused, delay served) and still refused: the vault must let listeners leave.
    uint256 public ghostDueWithdrawalsRefused;

    IBeatStreamVault.StreamVoucher[] private _signedVouchers;
    bytes[] private _signatures;

    constructor(MockUSDC usdc_, BeatStreamVault vault_) {
        usdc = usdc_;
        vault = vault_;
    }

    function deposit(uint256 listenerSeed, uint256 amount) external {
        amount = bound(amount, 1, 1e12);
        if (vault.paused()) {
            vm.expectRevert(Pausable.EnforcedPause.selector);
            vm.prank(listener(listenerSeed));
            vault.deposit(amount);
            return;
        }
        _fund(usdc, vault, listener(listenerSeed), amount);
        ghostDeposited += amount;
    }

    /// Signs a voucher around the session's highest signed amount (above it or below it) and settles it.
    function signAndSettle(uint256 listenerSeed, uint256 artistSeed, uint256 sessionSeed, uint256 amount, bool grow)
        external
    {
        uint256 keyIndex = listenerSeed % LISTENERS;
        address artist_ = artist(artistSeed);
        bytes32 sessionId_ = sessionId(sessionSeed);
        address listener_ = vm.addr(_key(keyIndex));
        bytes32 key = keccak256(abi.encode(listener_, artist_, sessionId_));
        uint256 maxSigned = ghostMaxSigned[key];
        uint256 cumulative = grow ? maxSigned + bound(amount, 0, 1e11) : bound(amount, 0, maxSigned);
        if (cumulative > maxSigned) ghostMaxSigned[key] = cumulative;

        IBeatStreamVault.StreamVoucher memory voucher = _voucher(listener_, artist_, sessionId_, cumulative);
        bytes memory signature = _sign(vault, _key(keyIndex), voucher);
        _signedVouchers.push(voucher);
        _signatures.push(signature);
        _settle(_one(voucher), signature);
    }

    /// Settles up to three earlier vouchers again in one batch (repeats and out-of-order amounts).
    function resettle(uint256 a, uint256 b, uint256 c) external {
        uint256 count = _signedVouchers.length;
        if (count == 0) return;
        uint256[3] memory picks = [a % count, b % count, c % count];
        IBeatStreamVault.StreamVoucher[] memory vouchers = new IBeatStreamVault.StreamVoucher[](3);
        bytes memory signatures;
        for (uint256 i; i < 3; ++i) {
            vouchers[i] = _signedVouchers[picks[i]];
            signatures = bytes.concat(signatures, _signatures[picks[i]]);
        }
        _settle(vouchers, signatures);
    }

    /// Open while paused: the delay then starts running at the unpause.
    function requestWithdrawal(uint256 listenerSeed, uint256 amount) external {
        address listener_ = listener(listenerSeed);
        uint256 balance = vault.balanceOf(listener_);
        if (balance == 0) return;
        vm.prank(listener_);
        vault.requestWithdrawal(bound(amount, 1, balance));
        ghostRequestedAt[listener_] = ghostUnpausedSeconds;
    }

    function cancelWithdrawal(uint256 listenerSeed) external {
        address listener_ = listener(listenerSeed);
        if (vault.pendingWithdrawal(listener_).amount == 0) return;
        vm.prank(listener_);
        vault.cancelWithdrawal();
    }

    function warp(uint256 seconds_) external {
        seconds_ = bound(seconds_, 0, 2 * DELAY);
        vm.warp(block.timestamp + seconds_);
        if (!vault.paused()) ghostUnpausedSeconds += seconds_;
    }

    function pause() external {
        if (!vault.paused()) vault.pause();
    }

    function unpause() external {
        if (vault.paused()) vault.unpause();
    }

    /// Tries to withdraw whether or not the request is due, and records any completion that should not have
    /// happened, and any refusal of one that was due.
    function withdraw(uint256 listenerSeed) external {
        address listener_ = listener(listenerSeed);
        IBeatStreamVault.WithdrawalRequest memory request = vault.pendingWithdrawal(listener_);
        if (request.amount == 0) return;
        bool paused = vault.paused();
        bool served = ghostUnpausedSeconds >= ghostRequestedAt[listener_] + DELAY;
        uint256 before = usdc.balanceOf(listener_);
        vm.prank(listener_);
        try vault.withdraw() {
            ++ghostWithdrawals;
            if (paused) ++ghostWithdrawalsWhilePaused;
            if (!served) ++ghostWithdrawalsEarly;
            uint256 received = usdc.balanceOf(listener_) - before;
            assertLe(received, request.amount, "withdrew more than requested");
            ghostWithdrawn += received;
        } catch (bytes memory reason) {
            if (!paused && served) ++ghostDueWithdrawalsRefused;
            bytes4 selector = bytes4(reason);
            assertTrue(
                selector == Pausable.EnforcedPause.selector
                    || selector == IBeatStreamVault.BeatStreamVaultWithdrawalNotReady.selector,
                "refused for another reason"
            );
        }
    }

    function withdrawEarnings(uint256 artistSeed) external {
        address artist_ = artist(artistSeed);
        uint256 earnings = vault.earningsOf(artist_);
        if (earnings == 0) return;
        vm.prank(artist_);
        vault.withdrawEarnings(artist_);
        ghostWithdrawn += earnings;
        ghostEarningsWithdrawn += earnings;
    }

    /// Settlement stops while paused.
    function _settle(IBeatStreamVault.StreamVoucher[] memory vouchers, bytes memory signatures) private {
        if (vault.paused()) vm.expectRevert(Pausable.EnforcedPause.selector);
        vault.settle(vouchers, signatures);
    }

    function listener(uint256 seed) public pure returns (address) {
        return vm.addr(_key(seed % LISTENERS));
    }

    function artist(uint256 seed) public pure returns (address) {
        return address(uint160(0xA271 + seed % ARTISTS));
    }

    function sessionId(uint256 seed) public pure returns (bytes32) {
        return bytes32(seed % SESSIONS);
    }

    function _key(uint256 index) private pure returns (uint256) {
        return 0x1157E4E4 + index;
    }
}

contract BeatStreamVaultInvariantTest is VaultHelpers {
    MockUSDC private usdc;
    BeatStreamVault private vault;
    VaultHandler private handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        MockCreatorRegistry creators;
        (usdc, creators, vault) = _deploy();
        handler = new VaultHandler(usdc, vault);
        for (uint256 a; a < 3; ++a) {
            creators.setCreator(handler.artist(a), true);
        }
        // The handler settles, pauses and unpauses, so it is the relayer and a pauser.
        vault.grantRole(vault.RELAYER_ROLE(), address(handler));
        vault.grantRole(vault.PAUSER_ROLE(), address(handler));
        targetContract(address(handler));
    }

    // 64 runs x 100 calls: every call signs with vm.sign, so the default 256 x 500 takes minutes.
    // failOnRevert: a handler call that reverts is a bug (it would silently skip its action).

    /// Equal, in fact: nothing reaches the vault except through deposits in this suite.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_HoldsEveryBalanceAndEarning() public view {
        assertEq(usdc.balanceOf(address(vault)), _sumBalances() + _sumEarnings(), "held == balances + earnings");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_HeldIsDepositsMinusWithdrawals() public view {
        assertEq(
            usdc.balanceOf(address(vault)), handler.ghostDeposited() - handler.ghostWithdrawn(), "held == in - out"
        );
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_SessionNeverPaysAboveHighestSigned() public view {
        uint256 totalSettled;
        for (uint256 l; l < 4; ++l) {
            for (uint256 a; a < 3; ++a) {
                for (uint256 s; s < 2; ++s) {
                    address listener = handler.listener(l);
                    address artist = handler.artist(a);
                    bytes32 sessionId = handler.sessionId(s);
                    uint256 settled = vault.settledAmount(listener, artist, sessionId);
                    bytes32 key = keccak256(abi.encode(listener, artist, sessionId));
                    assertLe(settled, handler.ghostMaxSigned(key), "settled above the highest signed amount");
                    totalSettled += settled;
                }
            }
        }
        // Everything sessions paid is with the artists or was withdrawn by them.
        assertEq(totalSettled, _sumEarnings() + handler.ghostEarningsWithdrawn(), "settled == earned");
    }

    /// No withdrawal completes while the vault is paused, none before WITHDRAWAL_DELAY seconds of unpaused time
    /// since its request, and every one that is due completes.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_WithdrawalsWaitForUnpausedDelay() public view {
        assertEq(handler.ghostWithdrawalsWhilePaused(), 0, "a withdrawal completed while paused");
        assertEq(handler.ghostWithdrawalsEarly(), 0, "a withdrawal completed before its unpaused delay");
        assertEq(handler.ghostDueWithdrawalsRefused(), 0, "a due withdrawal was refused");
    }

    function _sumBalances() private view returns (uint256 sum) {
        for (uint256 l; l < 4; ++l) {
            sum += vault.balanceOf(handler.listener(l));
        }
    }

    function _sumEarnings() private view returns (uint256 sum) {
        for (uint256 a; a < 3; ++a) {
            sum += vault.earningsOf(handler.artist(a));
        }
    }
}
