// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A plain 18-decimal ERC-20 standing in for a CreatorCoin in MusicDEX tests: the factory mints
/// the market's share to the DEX before opening it, which tests reproduce with the open `mint`.
contract DexTestCoin is ERC20 {
    constructor(string memory name, string memory symbol) ERC20(name, symbol) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
