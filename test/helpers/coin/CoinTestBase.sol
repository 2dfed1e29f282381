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
        dex = new MarketOpenerStub();
        distributor = new RevenueDistributor(usdc, address(this));
        factory = new CreatorCoinFactory(plays, address(dex), IRevenueDistributor(address(distributor)), address(this));
        distributor.grantRole(distributor.REGISTRAR_ROLE(), address(factory));
        plays.setCreatorPlays(creator, factory.launchThreshold());
        vm.prank(creator);
        coin = CreatorCoin(factory.launchCoin("Creator Coin", "CC"));
    }

    /// @dev Deposits `amount` USDC for `coin`, minted to and paid by this contract.
    function _deposit(uint256 amount) internal {
        usdc.mint(address(this), amount);
        usdc.approve(address(distributor), amount);
        distributor.deposit(address(coin), amount);
    }
}
