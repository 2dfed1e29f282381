// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {ProtocolTestBase} from "./helpers/protocol/ProtocolTestBase.sol";
import {BeatStreamVault} from "../contracts/BeatStreamVault.sol";
import {IBeatStreamVault} from "../contracts/interfaces/IBeatStreamVault.sol";
import {CreatorCoin} from "../contracts/CreatorCoin.sol";
import {RevenueDistributor} from "../contracts/RevenueDistributor.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";

/// @dev Drives the vault as deployed (wired to the factory's coins and distributor) with three listeners, two
/// creators with coins and a fan holding both coins: deposits, settlements, share changes, distributions, earnings
/// and listener withdrawals, claims, the clock. Keeps a USDC ledger per actor and a model of each creator's share.
contract HolderShareHandler is Test {
    uint256 private constant LISTENERS = 3;
    uint256 private constant BPS = 10_000;

    MockUSDC private immutable USDC;
    BeatStreamVault private immutable VAULT;
    RevenueDistributor private immutable DISTRIBUTOR;
    uint64 private immutable PERIOD;
    address public immutable FAN;

    address[2] private _creators;
    address[2] private _coins;

    /// @dev The share model: in force, pending lower share and when it applies.
    mapping(address creator => uint256) private _modelBps;
    mapping(address creator => uint256) private _modelNextBps;
    mapping(address creator => uint256) private _modelNextAt;
    mapping(address creator => uint256) private _sessionNonce;

    mapping(address listener => uint256) public ghostDeposited;
    mapping(address listener => uint256) public ghostWithdrawn;
    mapping(address listener => uint256) public ghostPaid;
    mapping(address creator => uint256) public ghostSettledTo;
    mapping(address creator => uint256) public ghostEarningsWithdrawn;
    mapping(address creator => uint256) public ghostDistributed;
    mapping(address creator => uint256) public ghostLastPeriodPlusOne;
    uint256 public ghostClaimed;
    /// @dev A split, share, period or payout that differed from the model.
    uint256 public ghostMismatches;
    uint256 public ghostDistributions;

    constructor(
        MockUSDC usdc,
        BeatStreamVault vault,
        RevenueDistributor distributor,
        address[2] memory creators,
        address[2] memory coins,
        address fan
    ) {
        USDC = usdc;
        VAULT = vault;
        DISTRIBUTOR = distributor;
        PERIOD = vault.DISTRIBUTION_PERIOD();
        _creators = creators;
        _coins = coins;
        FAN = fan;
    }

    function listener(uint256 seed) public pure returns (address) {
        return vm.addr(_key(seed));
    }

    function creatorAt(uint256 i) external view returns (address) {
        return _creators[i];
    }

    function deposit(uint256 listenerSeed, uint256 amount) external {
        address who = listener(listenerSeed);
        amount = bound(amount, 1, 1_000_000e6);
        USDC.mint(who, amount);
        vm.startPrank(who);
        USDC.approve(address(VAULT), amount);
        VAULT.deposit(amount);
        vm.stopPrank();
        ghostDeposited[who] += amount;
    }

    /// A fresh session pays up to `amount` (capped by the balance); the holder part must follow the model.
    function settle(uint256 listenerSeed, uint256 creatorSeed, uint256 amount) external {
        address creator = _creators[creatorSeed % 2];
        uint256 key = _key(listenerSeed);
        address who = vm.addr(key);
        IBeatStreamVault.StreamVoucher[] memory vouchers = new IBeatStreamVault.StreamVoucher[](1);
        vouchers[0] = IBeatStreamVault.StreamVoucher(
            who,
            creator,
            bytes32(++_sessionNonce[creator]),
            bound(amount, 0, 200_000e6),
            uint64(block.timestamp + 1 days)
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, VAULT.hashVoucher(vouchers[0]));
        uint256 balanceBefore = VAULT.balanceOf(who);
        uint256 poolBefore = VAULT.holderRevenueOf(creator);
        VAULT.settle(vouchers, abi.encodePacked(r, s, v));
        uint256 paid = balanceBefore - VAULT.balanceOf(who);
        ghostPaid[who] += paid;
        ghostSettledTo[creator] += paid;
        if (VAULT.holderRevenueOf(creator) - poolBefore != (paid * _bpsInForce(creator)) / BPS) ++ghostMismatches;
    }

    function setHolderShare(uint256 creatorSeed, uint256 bps) external {
        address creator = _creators[creatorSeed % 2];
        bps = bound(bps, 0, BPS);
        uint256 current = _bpsInForce(creator);
        vm.prank(creator);
        VAULT.setHolderShare(bps);
        if (bps >= current) {
            (_modelBps[creator], _modelNextAt[creator]) = (bps, 0);
        } else {
            (_modelBps[creator], _modelNextBps[creator], _modelNextAt[creator]) =
                (current, bps, block.timestamp + PERIOD);
        }
        if (VAULT.holderShareOf(creator) != _bpsInForce(creator)) ++ghostMismatches;
    }

    /// Anyone may call, whenever: it must succeed exactly when the period is new and something accrued.
    function distribute(uint256 creatorSeed) external {
        address creator = _creators[creatorSeed % 2];
        uint256 accrued = VAULT.holderRevenueOf(creator);
        uint256 period = block.timestamp / PERIOD;
        bool due = accrued != 0 && period + 1 > ghostLastPeriodPlusOne[creator];
        address coin = _coins[creatorSeed % 2];
        uint256 coinBefore = USDC.balanceOf(coin);
        try VAULT.distributeHolderRevenue(creator) returns (uint64 distributedIn, uint256 amount) {
            if (!due || distributedIn != period || amount != accrued) ++ghostMismatches;
            if (USDC.balanceOf(coin) - coinBefore != amount) ++ghostMismatches;
            ghostDistributed[creator] += amount;
            ghostLastPeriodPlusOne[creator] = period + 1;
            ++ghostDistributions;
        } catch {
            if (due) ++ghostMismatches;
        }
    }

    function withdrawEarnings(uint256 creatorSeed) external {
        address creator = _creators[creatorSeed % 2];
        uint256 earnings = VAULT.earningsOf(creator);
        if (earnings == 0) return;
        uint256 before = USDC.balanceOf(creator);
        vm.prank(creator);
        VAULT.withdrawEarnings(creator);
        if (USDC.balanceOf(creator) - before != earnings) ++ghostMismatches;
        ghostEarningsWithdrawn[creator] += earnings;
    }

    function requestAndWithdraw(uint256 listenerSeed, uint256 amount) external {
        address who = listener(listenerSeed);
        uint256 balance = VAULT.balanceOf(who);
        if (balance == 0) return;
        vm.prank(who);
        VAULT.requestWithdrawal(bound(amount, 1, balance));
        vm.warp(block.timestamp + VAULT.WITHDRAWAL_DELAY());
        uint256 before = USDC.balanceOf(who);
        vm.prank(who);
        VAULT.withdraw();
        ghostWithdrawn[who] += USDC.balanceOf(who) - before;
    }

    function claim() external {
        address[] memory coins = new address[](2);
        (coins[0], coins[1]) = (_coins[0], _coins[1]);
        vm.prank(FAN);
        ghostClaimed += DISTRIBUTOR.claim(coins);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, PERIOD));
        vm.roll(block.number + 1);
    }

    function _bpsInForce(address creator) private view returns (uint256) {
        uint256 nextAt = _modelNextAt[creator];
        return nextAt != 0 && nextAt <= block.timestamp ? _modelNextBps[creator] : _modelBps[creator];
    }

    function _key(uint256 seed) private pure returns (uint256) {
        return 0x11570 + (seed % LISTENERS);
    }
}

contract BeatStreamVaultHoldersInvariantTest is ProtocolTestBase {
    HolderShareHandler private handler;
    address[2] private creators;
    address private fan = vm.addr(0xFA40);
    uint256 private claimableAtStart;

    function setUp() public {
        _deployAndLaunch();
        address second = vm.addr(0xC4EB);
        CreatorCoin secondCoin = _launch(second, "Second Coin", "SC");
        creators = [creator, second];
        // The fan holds both coins; the trades leave holder fees behind, which claims may also pay out.
        _buy(fan, 10_000e6);
        usdc.mint(fan, 10_000e6);
        vm.startPrank(fan);
        usdc.approve(address(dex), 10_000e6);
        dex.buy(address(secondCoin), 10_000e6, 0, fan, block.timestamp);
        vm.stopPrank();
        claimableAtStart = usdc.balanceOf(address(dex)) + usdc.balanceOf(address(coin)) + usdc.balanceOf(address(secondCoin));
        handler = new HolderShareHandler(usdc, vault, distributor, creators, [address(coin), address(secondCoin)], fan);
        vault.grantRole(vault.RELAYER_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_VaultHoldsExactlyWhatItOwes() public view {
        uint256 owed;
        uint256 inMinusOut;
        for (uint256 i; i < 3; ++i) {
            address who = handler.listener(i);
            owed += vault.balanceOf(who);
            inMinusOut += handler.ghostDeposited(who) - handler.ghostWithdrawn(who);
        }
        for (uint256 i; i < 2; ++i) {
            owed += vault.earningsOf(creators[i]) + vault.holderRevenueOf(creators[i]);
            inMinusOut -= handler.ghostEarningsWithdrawn(creators[i]) + handler.ghostDistributed(creators[i]);
        }
        assertEq(usdc.balanceOf(address(vault)), owed, "vault USDC == balances + earnings + holder accruals");
        assertEq(usdc.balanceOf(address(vault)), inMinusOut, "vault USDC == deposits - every payout");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_PerActorLedger() public view {
        for (uint256 i; i < 3; ++i) {
            address who = handler.listener(i);
            assertEq(
                handler.ghostDeposited(who),
                vault.balanceOf(who) + handler.ghostPaid(who) + handler.ghostWithdrawn(who),
                "listener: deposited == balance + paid + withdrawn"
            );
        }
        for (uint256 i; i < 2; ++i) {
            address c = creators[i];
            assertEq(
                handler.ghostSettledTo(c),
                vault.earningsOf(c) + handler.ghostEarningsWithdrawn(c) + vault.holderRevenueOf(c)
                    + handler.ghostDistributed(c),
                "creator: settled == earnings + withdrawn + accrued + distributed"
            );
        }
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_SharesSplitsAndPeriodsFollowTheRules() public view {
        assertEq(handler.ghostMismatches(), 0, "a split, share or distribution differed from the rules");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 80
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_HoldersNeverClaimMoreThanWasPaidIn() public view {
        uint256 distributed = handler.ghostDistributed(creators[0]) + handler.ghostDistributed(creators[1]);
        assertLe(handler.ghostClaimed(), distributed + claimableAtStart, "claims created USDC");
    }
}
