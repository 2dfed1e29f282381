// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IMusicDEXHolderFees} from "../../../contracts/interfaces/IMusicDEXHolderFees.sol";

/// @notice A plain 18-decimal ERC-20 standing in for a CreatorCoin in MusicDEX tests: the factory mints
/// the market's share to the DEX before opening it, which tests reproduce with the open `mint`. Its
/// `accrueMarketFees` records what the DEX credits and the DEX's coin balance at that moment, so tests see
/// whether the credit came before the buyer's coins left the DEX or after the seller's arrived.
contract DexTestCoin is ERC20 {
    uint256 public marketFeesAccrued;

    event MarketFeesAccrued(address indexed dex, uint256 amount, uint256 dexBalance);

    constructor(string memory name, string memory symbol) ERC20(name, symbol) {}

    function accrueMarketFees(uint256 amount) external {
        marketFeesAccrued += amount;
        emit MarketFeesAccrued(msg.sender, amount, balanceOf(msg.sender));
    }

    /// @dev The real coin's start-of-trade hook: this stand-in's market earns no revenue, so it only records the
    /// buy's holder fee.
    function syncMarket(uint256 holderFee, uint256) external returns (uint256) {
        marketFeesAccrued += holderFee;
        emit MarketFeesAccrued(msg.sender, holderFee, balanceOf(msg.sender));
        return 0;
    }

    function pendingMarketRevenue() external pure returns (uint256) {
        return 0;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Plays CreatorCoin.releaseVested: `amount` coins that never came from the curve reach `creator`, and the
    /// coin tells `dex` that they entered circulation.
    function releaseToCreator(IMusicDEXHolderFees dex, address creator, uint256 amount) external {
        _mint(creator, amount);
        dex.recordCreatorRelease(amount);
    }
}
