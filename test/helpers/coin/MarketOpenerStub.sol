// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ICreatorCoin} from "../../../contracts/interfaces/ICreatorCoin.sol";
import {IMusicDEXHolderFees} from "../../../contracts/interfaces/IMusicDEXHolderFees.sol";
import {IMusicDEXMarketOpener} from "../../../contracts/interfaces/IMusicDEXMarketOpener.sol";

/// @dev Stand-in for MusicDEX in unit tests. openMarket writes two fresh slots per market, about what the
/// real DEX writes (so launch gas measured with it is realistic), and `sendCoins` plays a buyer's purchase:
/// it moves coins out of the DEX's market balance. `creditHolderFees` plays a trade's holder fee (credited
/// on the coin, USDC kept here: the test mints it to the stub first) and `releaseHolderFees` hands it over
/// like the real DEX.
contract MarketOpenerStub is IMusicDEXMarketOpener, IMusicDEXHolderFees {
    struct Market {
        address creator;
        uint96 coinReserve;
        uint256 openedAt;
    }

    IERC20 public immutable USDC;
    mapping(address coin => Market) public markets;
    mapping(address coin => uint256) public holderFees;
    mapping(address coin => uint256) public creatorReleased;
    /// @dev Revenue of the market's coins collected from each coin (the real DEX adds it to its reserve).
    mapping(address coin => uint256) public marketRevenue;

    event MarketOpened(address indexed coin, address indexed creator, uint256 coinAmount);

    error NoFees(address coin);

    constructor(IERC20 usdc) {
        USDC = usdc;
    }

    function openMarket(address coin, address creator, uint256 coinAmount) external {
        markets[coin] = Market(creator, uint96(coinAmount), block.timestamp);
        emit MarketOpened(coin, creator, coinAmount);
    }

    function sendCoins(address coin, address to, uint256 amount) external {
        IERC20(coin).transfer(to, amount);
    }

    function creditHolderFees(address coin, uint256 amount) external {
        holderFees[coin] += amount;
        ICreatorCoin(coin).accrueMarketFees(amount);
    }

    /// @dev Plays the start of a trade: collects the market account's revenue, paid out of the held fees.
    function syncMarket(address coin, uint256 holderFee) external returns (uint256 revenue) {
        uint256 held = holderFees[coin];
        revenue = ICreatorCoin(coin).syncMarket(holderFee, held);
        uint256 kept = revenue < held ? revenue : held;
        holderFees[coin] = held - kept + holderFee;
        marketRevenue[coin] += revenue;
    }

    function recordCreatorRelease(uint256 amount) external {
        creatorReleased[msg.sender] += amount;
    }

    function releaseHolderFees(address coin) external returns (uint256 amount) {
        amount = holderFees[coin];
        if (amount == 0) revert NoFees(coin);
        holderFees[coin] = 0;
        emit HolderFeesReleased(coin, msg.sender, amount);
        USDC.transfer(coin, amount);
    }
}
