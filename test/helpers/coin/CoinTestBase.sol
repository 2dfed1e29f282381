// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "../../utils/Test.sol";
import {MockUSDC} from "../../../contracts/mocks/MockUSDC.sol";
import {CreatorCoin} from "../../../contracts/CreatorCoin.sol";
import {CreatorCoinFactory} from "../../../contracts/CreatorCoinFactory.sol";
import {RevenueDistributor} from "../../../contracts/RevenueDistributor.sol";
import {IRevenueDistributor} from "../../../contracts/interfaces/IRevenueDistributor.sol";
import {CreatorPlaysStub} from "./CreatorPlaysStub.sol";
import {MarketOpenerStub} from "./MarketOpenerStub.sol";

/// @dev Deploys the creator economy on stand-ins (this contract is governance) and launches one coin.
abstract contract CoinTestBase is Test {
    MockUSDC internal usdc;
    CreatorPlaysStub internal plays;
    MarketOpenerStub internal dex;
    RevenueDistributor internal distributor;
    CreatorCoinFactory internal factory;
    CreatorCoin internal coin;
    address internal creator = address(0xC0FFEE);

    function _deployAndLaunch() internal {
        usdc = new MockUSDC();
        plays = new CreatorPlaysStub();
        dex = new MarketOpenerStub(usdc);
        distributor = new RevenueDistributor(usdc, address(this));
        factory = new CreatorCoinFactory(plays, address(dex), IRevenueDistributor(address(distributor)), address(this));
        distributor.grantRole(distributor.REGISTRAR_ROLE(), address(factory));
        coin = _launch(creator, "Creator Coin", "CC");
    }

    /// @dev Launches `creator_`'s coin (gives it the plays it needs).
    function _launch(address creator_, string memory name, string memory symbol) internal returns (CreatorCoin) {
        plays.setCreatorPlays(creator_, factory.launchThreshold());
        vm.prank(creator_);
        return CreatorCoin(factory.launchCoin(name, symbol));
    }

    /// @dev Deposits `amount` USDC for `coin` through the distributor, minted to and paid by this contract.
    function _deposit(uint256 amount) internal {
        usdc.mint(address(this), amount);
        usdc.approve(address(distributor), amount);
        distributor.deposit(address(coin), amount);
    }

    /// @dev Deposits `amount` USDC on `coin` directly, minted to and paid by this contract.
    function _depositDirect(uint256 amount) internal {
        usdc.mint(address(this), amount);
        usdc.approve(address(coin), amount);
        coin.depositRevenue(amount);
    }
}
