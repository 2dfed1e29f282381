// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreatorPlays} from "../../../contracts/interfaces/ICreatorPlays.sol";

/// @dev Stand-in for MusicNFT in unit tests: committed plays per creator, set directly by the test.
contract CreatorPlaysStub is ICreatorPlays {
    mapping(address creator => uint256) private _plays;

    function setCreatorPlays(address creator, uint256 plays) external {
        _plays[creator] = plays;
    }

    function creatorPlays(address creator) external view returns (uint256) {
        return _plays[creator];
    }
}
