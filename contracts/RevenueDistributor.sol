// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICreatorCoin} from "./interfaces/ICreatorCoin.sol";
import {IRevenueDistributor} from "./interfaces/IRevenueDistributor.sol";

/// @title RevenueDistributor
/// @notice The registry of creator coins and the multi-coin router of their revenue. Each coin holds its
/// own revenue and keeps the per-holder accounting; this contract holds no USDC.
/// @dev Invariant: holds no funds; only registered coins (clones deployed by the factory, trusted code) are
/// ever called, so a deposit moves USDC straight from the caller into a registered coin before the coin
/// accounts for it, and a claim is paid by the coin itself. Not pausable on purpose: a pause would cost
/// every deposit and claim a storage read, and holders must always be able to take out what they earned.
contract RevenueDistributor is AccessControl, IRevenueDistributor {
    using SafeERC20 for IERC20;

    /// @notice Role of the factory: registers the coins it launches.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice USDC, fixed for ever: every coin's revenue is paid in it (the factory hands it to the coins).
    IERC20 private immutable USDC;

    mapping(address coin => bool) private _isCoin;

    /// @param usdc_ The quote token revenue is paid in.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants REGISTRAR_ROLE to the factory, sets exclusions).
    constructor(IERC20 usdc_, address admin) {
        if (address(usdc_) == address(0) || admin == address(0)) revert RevenueDistributorZeroAddress();
        USDC = usdc_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IRevenueDistributor
    function registerCoin(address coin) external onlyRole(REGISTRAR_ROLE) {
        if (_isCoin[coin]) revert RevenueDistributorAlreadyRegistered(coin);
        _isCoin[coin] = true;
        emit CoinRegistered(coin);
    }

    /// @inheritdoc IRevenueDistributor
    function deposit(address coin, uint256 amount) external {
        _requireCoin(coin);
        if (amount == 0) revert RevenueDistributorZeroAmount(coin);
        USDC.safeTransferFrom(msg.sender, coin, amount);
        ICreatorCoin(coin).accrueRevenue(msg.sender, amount);
    }

    /// @inheritdoc IRevenueDistributor
    function claim(address[] calldata coins) external returns (uint256 total) {
        for (uint256 i; i < coins.length; ++i) {
            address coin = coins[i];
            _requireCoin(coin);
            total += ICreatorCoin(coin).claimRevenueFor(msg.sender);
        }
    }

    /// @inheritdoc IRevenueDistributor
    function setExcluded(address coin, address account, bool excluded) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireCoin(coin);
        ICreatorCoin(coin).setRevenueExcluded(account, excluded);
        emit RevenueExclusionSet(coin, account, excluded);
    }

    /// @inheritdoc IRevenueDistributor
    function usdc() external view returns (address) {
        return address(USDC);
    }

    /// @inheritdoc IRevenueDistributor
    function isCoin(address coin) external view returns (bool) {
        return _isCoin[coin];
    }

    /// @inheritdoc IRevenueDistributor
    function claimable(address coin, address holder) external view returns (uint256) {
        _requireCoin(coin);
        return ICreatorCoin(coin).claimableRevenue(holder);
    }

    /// @dev Reverts unless `coin` was registered by the factory.
    function _requireCoin(address coin) private view {
        if (!_isCoin[coin]) revert RevenueDistributorUnknownCoin(coin);
    }
}
