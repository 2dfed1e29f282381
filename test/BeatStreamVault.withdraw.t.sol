// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {BeatStreamVault} from "../contracts/BeatStreamVault.sol";
import {IBeatStreamVault} from "../contracts/interfaces/IBeatStreamVault.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {VaultHelpers} from "./helpers/vault/VaultHelpers.sol";

/// @dev Fuzz tests of the withdrawal delay against pauses: it counts unpaused time only, and nothing leaves while
/// the vault is paused.
contract BeatStreamVaultWithdrawTest is VaultHelpers {
    uint256 private constant KEY = 0xB0B;
    uint256 private constant AMOUNT = 100e6;

    MockUSDC private usdc;
    BeatStreamVault private vault;
    address private listener = vm.addr(KEY);

    function setUp() public {
        vm.warp(1_700_000_000);
        (usdc,, vault) = _deploy();
        _fund(usdc, vault, listener, AMOUNT);
    }

    /// A pause that begins before the delay has run moves the moment of payment later by exactly its length.
    function testFuzz_PauseExtendsDelayByTimePaused(uint256 servedBefore, uint256 pausedFor) public {
        servedBefore = bound(servedBefore, 0, DELAY - 1);
        pausedFor = bound(pausedFor, 0, 60 days);
        uint256 requestedAt = block.timestamp;
        _request();
        vm.warp(requestedAt + servedBefore);
        vault.pause();
        vm.warp(block.timestamp + pausedFor);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _withdraw();
        assertEq(vault.withdrawalDelayLeft(listener), DELAY - servedBefore, "paused time does not count");
        vault.unpause();

        uint256 readyAt = requestedAt + DELAY + pausedFor;
        vm.warp(readyAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IBeatStreamVault.BeatStreamVaultWithdrawalNotReady.selector, uint64(readyAt), readyAt - 1
            )
        );
        _withdraw();
        assertEq(vault.withdrawalDelayLeft(listener), 1, "one unpaused second left");
        vm.warp(readyAt);
        _withdraw();
        assertEq(usdc.balanceOf(listener), AMOUNT, "paid once the unpaused delay has run");
    }

    /// A request made while paused waits the whole delay after the unpause.
    function testFuzz_RequestWhilePausedWaitsWholeDelayAfterUnpause(uint256 pausedFor) public {
        pausedFor = bound(pausedFor, 0, 60 days);
        vault.pause();
        _request();
        vm.warp(block.timestamp + pausedFor);
        vault.unpause();
        uint256 readyAt = block.timestamp + DELAY;
        vm.warp(readyAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IBeatStreamVault.BeatStreamVaultWithdrawalNotReady.selector, uint64(readyAt), readyAt - 1
            )
        );
        _withdraw();
        vm.warp(readyAt);
        _withdraw();
        assertEq(usdc.balanceOf(listener), AMOUNT, "paid");
    }

    /// A request whose delay had run before a pause only waits for the unpause.
    function testFuzz_ServedRequestWaitsOnlyForUnpause(uint256 extra, uint256 pausedFor) public {
        extra = bound(extra, 0, 60 days);
        pausedFor = bound(pausedFor, 0, 60 days);
        _request();
        vm.warp(block.timestamp + DELAY + extra);
        vault.pause();
        vm.warp(block.timestamp + pausedFor);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _withdraw();
        assertEq(vault.withdrawalDelayLeft(listener), 0, "nothing left to serve");
        vault.unpause();
        _withdraw();
        assertEq(usdc.balanceOf(listener), AMOUNT, "paid at the unpause");
    }

    function _request() private {
        vm.prank(listener);
        vault.requestWithdrawal(AMOUNT);
    }

    function _withdraw() private {
        vm.prank(listener);
        vault.withdraw();
    }
}
