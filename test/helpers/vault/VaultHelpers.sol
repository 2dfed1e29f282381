// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../../utils/Test.sol";
import {BeatStreamVault} from "../../../contracts/BeatStreamVault.sol";
import {IBeatStreamVault} from "../../../contracts/interfaces/IBeatStreamVault.sol";
import {ICreatorCoinFactory} from "../../../contracts/interfaces/ICreatorCoinFactory.sol";
import {MockCreatorRegistry} from "../../../contracts/mocks/MockCreatorRegistry.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";

/// @dev Shared by the vault's Solidity suites: deployment, funded listeners, signed vouchers.
abstract contract VaultHelpers is Test {
    uint64 internal constant DELAY = 1 hours;

    /// @dev The test contract is the admin and, so that it can call `settle`, the relayer. Nobody is a creator yet:
    /// mark the suite's artists with `creators.setCreator`. No coin factory: holder shares are tested with the
    /// protocol as deployed (BeatStreamVault.holders.t.sol).
    function _deploy() internal returns (MockUSDC usdc, MockCreatorRegistry creators, BeatStreamVault vault) {
        usdc = new MockUSDC();
        creators = new MockCreatorRegistry();
        vault = new BeatStreamVault(usdc, creators, DELAY, address(this), ICreatorCoinFactory(address(0)), 91 days);
        vault.grantRole(vault.RELAYER_ROLE(), address(this));
    }

    /// @dev Mints `amount` to the listener and deposits it into the vault as the listener.
    function _fund(MockUSDC usdc, BeatStreamVault vault, address listener, uint256 amount) internal {
        usdc.mint(listener, amount);
        vm.startPrank(listener);
        usdc.approve(address(vault), amount);
        vault.deposit(amount);
        vm.stopPrank();
    }

    function _voucher(address listener, address artist, bytes32 sessionId, uint256 cumulativeAmount)
        internal
        view
        returns (IBeatStreamVault.StreamVoucher memory)
    {
        return IBeatStreamVault.StreamVoucher(listener, artist, sessionId, cumulativeAmount, uint64(block.timestamp + 30 days));
    }

    /// @dev The listener's 65-byte r ‖ s ‖ v signature over the vault's EIP-712 digest of `voucher`.
    function _sign(BeatStreamVault vault, uint256 key, IBeatStreamVault.StreamVoucher memory voucher)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, vault.hashVoucher(voucher));
        return abi.encodePacked(r, s, v);
    }

    function _one(IBeatStreamVault.StreamVoucher memory voucher)
        internal
        pure
        returns (IBeatStreamVault.StreamVoucher[] memory vouchers)
    {
        vouchers = new IBeatStreamVault.StreamVoucher[](1);
        vouchers[0] = voucher;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
