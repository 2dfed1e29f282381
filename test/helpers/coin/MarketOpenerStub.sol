// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMusicDEXMarketOpener} from "../../../contracts/interfaces/IMusicDEXMarketOpener.sol";

/// @dev Stand-in for MusicDEX in unit tests. openMarket writes two fresh slots per market, about what the
/// real DEX writes (so launch gas measured with it is realistic), and `sendCoins` plays a buyer's purchase:
/// it moves coins out of the DEX's market balance.
contract MarketOpenerStub is IMusicDEXMarketOpener {
    struct Market {
        address creator;
        uint96 coinReserve;
        uint256 openedAt;
    }

    mapping(address coin => Market) public markets;

    event MarketOpened(address indexed coin, address indexed creator, uint256 coinAmount);

    function openMarket(address coin, address creator, uint256 coinAmount) external {
        markets[coin] = Market(creator, uint96(coinAmount), block.timestamp);
        emit MarketOpened(coin, creator, coinAmount);
    }

    function sendCoins(address coin, address to, uint256 amount) external {
        IERC20(coin).transfer(to, amount);
    }
}
