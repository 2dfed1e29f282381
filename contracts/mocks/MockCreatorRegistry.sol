// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreatorRegistry} from "../interfaces/ICreatorRegistry.sol";

/// @title MockCreatorRegistry
/// @notice Test stand-in for MusicNFT's creator check: anyone marks any address as a creator or not. Never
/// deploy it where real value exists: with it, a vault pays whoever calls `setCreator` for itself.
contract MockCreatorRegistry is ICreatorRegistry {
    mapping(address account => bool) private _creators;

    /// @notice Marks `account` as a creator or not; open to anyone on purpose, it is a test registry.
    function setCreator(address account, bool isCreator_) external {
        _creators[account] = isCreator_;
    }

    /// @inheritdoc ICreatorRegistry
    function isCreator(address account) external view returns (bool) {
        return _creators[account];
    }
}
