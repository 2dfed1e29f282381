// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../../utils/Test.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {MusicNFT} from "../../../contracts/MusicNFT.sol";
import {MusicDEX} from "../../../contracts/MusicDEX.sol";
import {RevenueDistributor} from "../../../contracts/RevenueDistributor.sol";
import {CreatorCoinFactory} from "../../../contracts/CreatorCoinFactory.sol";
import {CreatorCoin} from "../../../contracts/CreatorCoin.sol";
import {BeatStreamVault} from "../../../contracts/BeatStreamVault.sol";
import {IBeatStreamVault} from "../../../contracts/interfaces/IBeatStreamVault.sol";
import {IMusicDEX} from "../../../contracts/interfaces/IMusicDEX.sol";
import {IRevenueDistributor} from "../../../contracts/interfaces/IRevenueDistributor.sol";

/// @dev The protocol wired as deploy/modules/Protocol.ts wires it (MockUSDC only stands in for the token):
/// MusicNFT → CreatorCoinFactory (launches a coin clone, registers it, opens its market) → MusicDEX →
/// RevenueDistributor, and BeatStreamVault paying holder shares into the factory's coins. This contract is the admin; the relayer commits the creator's plays so the creator can
/// launch through the public path. Only public entry points are used, so the suites built on it survive
/// changes to the contracts' internals.
abstract contract ProtocolTestBase is Test {
    MockUSDC internal usdc;
    MusicNFT internal nft;
    RevenueDistributor internal distributor;
    MusicDEX internal dex;
    CreatorCoinFactory internal factory;
    CreatorCoin internal coin;
    BeatStreamVault internal vault;

    address internal admin = address(this);
    address internal relayer = vm.addr(0x4E1A);
    address internal treasury = vm.addr(0x7EA5);
    address internal creator = vm.addr(0xC4EA);
    /// @dev The vault's distribution period as deployed: a quarter.
    uint64 internal constant PERIOD = 91 days;

    function _deployProtocol() internal {
        usdc = new MockUSDC();
        nft = new MusicNFT(admin);
        distributor = new RevenueDistributor(usdc, admin);
        dex = new MusicDEX(usdc, IRevenueDistributor(address(distributor)), treasury, admin);
        factory = new CreatorCoinFactory(nft, address(dex), IRevenueDistributor(address(distributor)), admin);
        vault = new BeatStreamVault(usdc, nft, 1 days, admin, factory, PERIOD);
        vault.grantRole(vault.RELAYER_ROLE(), relayer);
        nft.grantRole(nft.RELAYER_ROLE(), relayer);
        factory.grantRole(factory.RELAYER_ROLE(), relayer);
        distributor.grantRole(distributor.REGISTRAR_ROLE(), address(factory));
        dex.grantRole(dex.MARKET_OPENER_ROLE(), address(factory));
    }

    /// @dev Deploys the protocol and launches `creator`'s coin the way a creator does it: mint a track, get the
    /// launch threshold of plays committed by the relayer, call launchCoin.
    function _deployAndLaunch() internal {
        _deployProtocol();
        coin = _launch(creator, "Creator Coin", "CC");
    }

    function _launch(address creator_, string memory name, string memory symbol) internal returns (CreatorCoin) {
        vm.prank(creator_);
        uint256 trackId = nft.mintTrack("ipfs://track", creator_, 500);
        bytes memory deltas = abi.encodePacked(uint64(trackId), uint32(factory.launchThreshold()));
        uint256 batchId = nft.nextBatchId();
        vm.prank(relayer);
        nft.commitPlays(batchId, keccak256(deltas), "ipfs://snapshot", deltas);
        vm.prank(creator_);
        return CreatorCoin(factory.launchCoin(name, symbol));
    }

    /// @dev `who` buys `coin` for `usdcIn` (minted to it first); returns the coins received.
    function _buy(address who, uint256 usdcIn) internal returns (uint256 coinsOut) {
        usdc.mint(who, usdcIn);
        vm.startPrank(who);
        usdc.approve(address(dex), usdcIn);
        coinsOut = dex.buy(address(coin), usdcIn, 0, who, block.timestamp);
        vm.stopPrank();
    }

    /// @dev `who` sells `coinsIn` of `coin` with no slippage limit; returns the USDC received. Reverts as the DEX does.
    function _sell(address who, uint256 coinsIn) internal returns (uint256 usdcOut) {
        vm.startPrank(who);
        coin.approve(address(dex), coinsIn);
        usdcOut = dex.sell(address(coin), coinsIn, 0, who, block.timestamp);
        vm.stopPrank();
    }

    /// @dev A revenue deposit of `amount` routed through the distributor, paid by `from` (minted to it first).
    function _depositRouted(address from, uint256 amount) internal {
        usdc.mint(from, amount);
        vm.startPrank(from);
        usdc.approve(address(distributor), amount);
        distributor.deposit(address(coin), amount);
        vm.stopPrank();
    }

    /// @dev A revenue deposit of `amount` made on the coin itself, paid by `from` (minted to it first).
    function _depositDirect(address from, uint256 amount) internal {
        usdc.mint(from, amount);
        vm.startPrank(from);
        usdc.approve(address(coin), amount);
        coin.depositRevenue(amount);
        vm.stopPrank();
    }

    /// @dev Everything `who` can claim on `coin`, through the distributor (which never reverts on nothing owed).
    function _claimAll(address who) internal returns (uint256 claimed) {
        address[] memory coins = new address[](1);
        coins[0] = address(coin);
        uint256 before = usdc.balanceOf(who);
        vm.prank(who);
        distributor.claim(coins);
        claimed = usdc.balanceOf(who) - before;
    }

    /// @dev `listenerKey`'s listener deposits `amount` into the vault (minted to it first).
    function _fundListener(uint256 listenerKey, uint256 amount) internal {
        address listener = vm.addr(listenerKey);
        usdc.mint(listener, amount);
        vm.startPrank(listener);
        usdc.approve(address(vault), amount);
        vault.deposit(amount);
        vm.stopPrank();
    }

    /// @dev The relayer settles one voucher of `listenerKey`'s listener to `artist` (session `sessionId`).
    function _settle(uint256 listenerKey, address artist, bytes32 sessionId, uint256 cumulativeAmount) internal {
        IBeatStreamVault.StreamVoucher[] memory vouchers = new IBeatStreamVault.StreamVoucher[](1);
        vouchers[0] = IBeatStreamVault.StreamVoucher(
            vm.addr(listenerKey), artist, sessionId, cumulativeAmount, uint64(block.timestamp + 1 days)
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(listenerKey, vault.hashVoucher(vouchers[0]));
        vm.prank(relayer);
        vault.settle(vouchers, abi.encodePacked(r, s, v));
    }

    /// @dev Moves the chain on by `seconds_` and one block.
    function _wait(uint256 seconds_) internal {
        vm.warp(block.timestamp + seconds_);
        vm.roll(block.number + 1);
    }

    /// @dev USDC the DEX owes: the coin's real reserve and fee balances plus the treasury's.
    function _dexOwes() internal view returns (uint256) {
        IMusicDEX.Market memory m = dex.market(address(coin));
        return uint256(m.usdcReserve) + m.creatorFees + m.holderFees + dex.treasuryFees();
    }
}
