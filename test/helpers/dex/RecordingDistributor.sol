// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice Stand-in for RevenueDistributor in MusicDEX tests: pulls each deposit like the real one does
/// and records it per coin, so tests can check exactly what the DEX handed over. It carries only the
/// two calls the DEX makes (`registerCoin`, `deposit`), not the whole IRevenueDistributor.
contract RecordingDistributor {
    using SafeERC20 for IERC20;

    IERC20 public immutable USDC;
    mapping(address coin => uint256) public deposited;
    mapping(address coin => bool) public registered;
    uint256 public totalDeposited;
    uint256 public depositCount;

    event Deposited(address indexed coin, address indexed from, uint256 amount);

    constructor(IERC20 usdc) {
        USDC = usdc;
    }

    function registerCoin(address coin) external {
        registered[coin] = true;
    }

    function deposit(address coin, uint256 amount) external {
        USDC.safeTransferFrom(msg.sender, address(this), amount);
        deposited[coin] += amount;
        totalDeposited += amount;
        depositCount++;
        emit Deposited(coin, msg.sender, amount);
    }
}
