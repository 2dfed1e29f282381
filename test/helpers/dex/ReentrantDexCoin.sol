// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IMusicDEX} from "../../../contracts/interfaces/IMusicDEX.sol";

/// @notice A hostile coin: once armed, its next transfer made by the DEX calls back into the DEX, so a
/// test can show the reentrancy guard stops it.
contract ReentrantDexCoin is ERC20 {
    IMusicDEX private _dex;
    bool private _armed;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function accrueMarketFees(uint256) external {}

    /// @dev The start-of-trade hook of a coin whose market earns nothing.
    function syncMarket(uint256, uint256) external pure returns (uint256) {
        return 0;
    }

    function pendingMarketRevenue() external pure returns (uint256) {
        return 0;
    }

    function arm(IMusicDEX dex) external {
        _dex = dex;
        _armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (_armed && msg.sender == address(_dex)) {
            _armed = false;
            _dex.sell(address(this), 1e18, 0, address(this), type(uint256).max);
        }
    }
}
