// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {BeatStreamVault} from "../contracts/BeatStreamVault.sol";
import {IBeatStreamVault} from "../contracts/interfaces/IBeatStreamVault.sol";
import {ICreatorRegistry} from "../contracts/interfaces/ICreatorRegistry.sol";
import {MockCreatorRegistry} from "../contracts/mocks/MockCreatorRegistry.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {VaultHelpers} from "./helpers/vault/VaultHelpers.sol";

/// @dev Fuzz tests of BeatStreamVault.settle: the amounts it moves, idempotence, its signature check, and whom it
/// pays (creators only).
contract BeatStreamVaultSettleTest is VaultHelpers {
    uint256 private constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 private constant MAX_AMOUNT = 1e15; // a billion USDC

    MockUSDC private usdc;
    MockCreatorRegistry private creators;
    BeatStreamVault private vault;
    address private artist = address(0xA271);
    address private artist2 = address(0xA272);

    function setUp() public {
        vm.warp(1_700_000_000);
        (usdc, creators, vault) = _deploy();
        creators.setCreator(artist, true);
        creators.setCreator(artist2, true);
    }

    /// Two vouchers of one session, in any order and any size: each pays min(increase, balance), and the
    /// session never pays more than the higher signed amount.
    function testFuzz_SettlePaysIncreaseCappedByBalance(uint256 key, uint256 deposit, uint256 first, uint256 second)
        public
    {
        key = bound(key, 1, 1e30);
        deposit = bound(deposit, 0, MAX_AMOUNT);
        first = bound(first, 0, MAX_AMOUNT);
        second = bound(second, 0, MAX_AMOUNT);
        address listener = vm.addr(key);
        if (deposit != 0) _fund(usdc, vault, listener, deposit);
        bytes32 sessionId = keccak256(abi.encode(key));

        IBeatStreamVault.StreamVoucher memory v1 = _voucher(listener, artist, sessionId, first);
        vault.settle(_one(v1), _sign(vault, key, v1));
        uint256 paid1 = _min(first, deposit);
        assertEq(vault.settledAmount(listener, artist, sessionId), paid1, "first settled");

        IBeatStreamVault.StreamVoucher memory v2 = _voucher(listener, artist, sessionId, second);
        vault.settle(_one(v2), _sign(vault, key, v2));
        uint256 paid2 = second > paid1 ? _min(second - paid1, deposit - paid1) : 0;

        uint256 settled = vault.settledAmount(listener, artist, sessionId);
        assertEq(settled, paid1 + paid2, "total settled");
        assertLe(settled, first > second ? first : second, "never above the highest signed amount");
        assertEq(vault.earningsOf(artist), settled, "artist earned what the session paid");
        assertEq(vault.balanceOf(listener), deposit - settled, "listener paid what the session paid");
        assertEq(usdc.balanceOf(address(vault)), vault.balanceOf(listener) + vault.earningsOf(artist), "conservation");
    }

    /// Settling the same batch again moves nothing.
    function testFuzz_RepeatedSettleIsHarmless(uint256 deposit, uint256 amount, uint8 repeats) public {
        deposit = bound(deposit, 1, MAX_AMOUNT);
        amount = bound(amount, 1, MAX_AMOUNT);
        uint256 key = 0xB0B;
        address listener = vm.addr(key);
        _fund(usdc, vault, listener, deposit);
        IBeatStreamVault.StreamVoucher memory voucher = _voucher(listener, artist, bytes32("s"), amount);
        bytes memory signature = _sign(vault, key, voucher);
        vault.settle(_one(voucher), signature);
        uint256 balance = vault.balanceOf(listener);
        uint256 earnings = vault.earningsOf(artist);
        for (uint256 i = bound(repeats, 1, 5); i > 0; --i) {
            vault.settle(_one(voucher), signature);
        }
        assertEq(vault.balanceOf(listener), balance, "balance unchanged");
        assertEq(vault.earningsOf(artist), earnings, "earnings unchanged");
        assertEq(earnings, _min(deposit, amount), "paid once");
    }

    /// Differential test of the inlined signature check against OpenZeppelin's ECDSA.tryRecover: a valid
    /// signature, its malleable twin, a random v, or random bytes are accepted exactly when ECDSA
    /// recovers the listener without error.
    function testFuzz_SignatureCheckMatchesOpenZeppelinECDSA(uint256 key, uint8 mode, bytes32 noise, uint8 noiseV)
        public
    {
        key = bound(key, 1, SECP256K1_N - 1);
        address listener = vm.addr(key);
        _fund(usdc, vault, listener, 1e6);
        IBeatStreamVault.StreamVoucher memory voucher = _voucher(listener, artist, noise, 1e6);
        bytes32 digest = vault.hashVoucher(voucher);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);

        mode = uint8(bound(mode, 0, 3));
        if (mode == 1) {
            // The malleable twin: same signer through raw ecrecover, refused by ECDSA.
            s = bytes32(SECP256K1_N - uint256(s));
            v = v == 27 ? 28 : 27;
        } else if (mode == 2) {
            v = noiseV;
        } else if (mode == 3) {
            r = noise;
            s = keccak256(abi.encode(noise));
        }
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
        bool accepted = err == ECDSA.RecoverError.NoError && recovered == listener;

        if (!accepted) {
            vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultInvalidSignature.selector, 0));
        }
        vault.settle(_one(voucher), abi.encodePacked(r, s, v));
        assertEq(vault.earningsOf(artist), accepted ? 1e6 : 0, "paid exactly when ECDSA accepts");
    }

    /// Only RELAYER_ROLE settles: any other caller reverts, whatever the voucher, and nothing moves.
    function testFuzz_RevertWhen_CallerIsNotRelayer(address caller, uint256 amount) public {
        vm.assume(caller != address(this));
        amount = bound(amount, 1, MAX_AMOUNT);
        uint256 key = 0xCA11;
        address listener = vm.addr(key);
        _fund(usdc, vault, listener, amount);
        IBeatStreamVault.StreamVoucher memory voucher = _voucher(listener, caller, bytes32("r"), amount);
        bytes memory signature = _sign(vault, key, voucher);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, vault.RELAYER_ROLE()
            )
        );
        vm.prank(caller);
        vault.settle(_one(voucher), signature);
        assertEq(vault.balanceOf(listener), amount, "nothing moved");
    }

    /// A voucher whose artist is its own listener reverts at its index, wherever it sits in the batch.
    function testFuzz_RevertWhen_ListenerPaysItself(uint256 key, uint256 amount, uint256 count, uint256 position)
        public
    {
        key = bound(key, 1, 1e30);
        amount = bound(amount, 1, MAX_AMOUNT);
        count = bound(count, 1, 4);
        position = bound(position, 0, count - 1);
        address listener = vm.addr(key);
        _fund(usdc, vault, listener, amount * count);
        IBeatStreamVault.StreamVoucher[] memory vouchers = new IBeatStreamVault.StreamVoucher[](count);
        bytes memory signatures;
        for (uint256 i; i < count; ++i) {
            vouchers[i] = _voucher(listener, i == position ? listener : artist, bytes32(i), amount);
            signatures = bytes.concat(signatures, _sign(vault, key, vouchers[i]));
        }
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultSelfPayment.selector, position));
        vault.settle(vouchers, signatures);
        assertEq(vault.balanceOf(listener), amount * count, "nothing moved");
    }

    /// The audit's attack (finding 5): a listener signs a voucher to a second address of its own, which has minted
    /// nothing. Settled, it would turn the listener's balance into earnings that leave at once, around the delay.
    function test_RevertWhen_ListenerPaysOwnSecondAddress() public {
        uint256 key = 0xA11CE;
        address listener = vm.addr(key);
        address second = vm.addr(0xA11CE2);
        _fund(usdc, vault, listener, 100e6);
        IBeatStreamVault.StreamVoucher memory voucher = _voucher(listener, second, bytes32("escape"), 100e6);
        bytes memory signature = _sign(vault, key, voucher);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNotCreator.selector, 0, second));
        vault.settle(_one(voucher), signature);
        assertEq(vault.balanceOf(listener), 100e6, "balance untouched");
        assertEq(vault.earningsOf(second), 0, "nothing earned");
    }

    /// A run of vouchers to a non-creator reverts at the run's first index, wherever the run sits among vouchers
    /// to creators, and however long it is.
    function testFuzz_RevertWhen_ArtistIsNotCreator(
        uint256 key,
        address stranger,
        uint256 count,
        uint256 position,
        uint256 runLength
    ) public {
        key = bound(key, 1, 1e30);
        address listener = vm.addr(key);
        vm.assume(stranger != address(0) && stranger != listener && !creators.isCreator(stranger));
        count = bound(count, 1, 6);
        position = bound(position, 0, count - 1);
        runLength = bound(runLength, 1, count - position);
        _fund(usdc, vault, listener, 10 * count);
        IBeatStreamVault.StreamVoucher[] memory vouchers = new IBeatStreamVault.StreamVoucher[](count);
        bytes memory signatures;
        for (uint256 i; i < count; ++i) {
            bool strangers = i >= position && i < position + runLength;
            vouchers[i] = _voucher(listener, strangers ? stranger : (i % 2 == 0 ? artist : artist2), bytes32(i), 10);
            signatures = bytes.concat(signatures, _sign(vault, key, vouchers[i]));
        }
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNotCreator.selector, position, stranger));
        vault.settle(vouchers, signatures);
        assertEq(vault.balanceOf(listener), 10 * count, "nothing moved");

        // Once the address has become a creator (minted a track), the same vouchers settle.
        creators.setCreator(stranger, true);
        vault.settle(vouchers, signatures);
        assertEq(vault.earningsOf(stranger), 10 * runLength, "paid once a creator");
    }

    /// The registry is asked once per run of vouchers to one artist, not once per voucher.
    function testFuzz_AsksRegistryOncePerRun(uint256 firstRun, uint256 secondRun) public {
        firstRun = bound(firstRun, 1, 5);
        secondRun = bound(secondRun, 1, 5);
        uint256 count = firstRun + secondRun;
        IBeatStreamVault.StreamVoucher[] memory vouchers = new IBeatStreamVault.StreamVoucher[](count);
        bytes memory signatures;
        for (uint256 i; i < count; ++i) {
            uint256 key = 0xF00 + i;
            _fund(usdc, vault, vm.addr(key), 1);
            vouchers[i] = _voucher(vm.addr(key), i < firstRun ? artist : artist2, bytes32(i), 1);
            signatures = bytes.concat(signatures, _sign(vault, key, vouchers[i]));
        }
        vm.expectCall(address(creators), abi.encodeCall(ICreatorRegistry.isCreator, (artist)), 1);
        vm.expectCall(address(creators), abi.encodeCall(ICreatorRegistry.isCreator, (artist2)), 1);
        vault.settle(vouchers, signatures);
        assertEq(vault.earningsOf(artist) + vault.earningsOf(artist2), count, "every voucher paid");
    }

    /// A voucher pays on its deadline and reverts one second later.
    function testFuzz_DeadlineIsInclusive(uint64 deadline) public {
        deadline = uint64(bound(deadline, block.timestamp, type(uint64).max - 1));
        uint256 key = 0xA11CE;
        address listener = vm.addr(key);
        _fund(usdc, vault, listener, 10);
        IBeatStreamVault.StreamVoucher memory voucher = _voucher(listener, artist, bytes32("d"), 10);
        voucher.deadline = deadline;
        bytes memory signature = _sign(vault, key, voucher);

        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultVoucherExpired.selector, 0, deadline)
        );
        vault.settle(_one(voucher), signature);

        vm.warp(deadline);
        vault.settle(_one(voucher), signature);
        assertEq(vault.earningsOf(artist), 10, "settled on the deadline");
    }
}
