// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev The cheatcodes that Hardhat's Solidity test runner (EDR) implements, as forge-std declares
/// them. forge-std itself cannot be installed here, so this is the subset the suites use.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function deal(address who, uint256 newBalance) external;
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert() external;
    function expectEmit() external;
    function expectCall(address callee, bytes calldata data, uint64 count) external;
    function assume(bool condition) external pure;
    function label(address account, string calldata newLabel) external;
}

/// @dev Minimal test base: the cheatcode handle, `bound`, assertions and the invariant target list.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address[] private _targetContracts;

    error AssertionFailed(string message);
    error AssertionFailedUint(string message, uint256 left, uint256 right);

    /// @dev Read by the invariant runner: the handlers whose functions it calls at random.
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    /// @dev Maps `x` into [min, max] without discarding fuzz runs (forge-std's algorithm).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256 result) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        if (x <= 3 && size > x) return min + x;
        if (x >= type(uint256).max - 3 && size > type(uint256).max - x) return max - (type(uint256).max - x);
        if (x > max) {
            uint256 diff = x - max;
            uint256 rem = diff % size;
            if (rem == 0) return max;
            result = min + rem - 1;
        } else {
            uint256 diff = min - x;
            uint256 rem = diff % size;
            if (rem == 0) return min;
            result = max - rem + 1;
        }
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert AssertionFailed(message);
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        if (left != right) revert AssertionFailedUint(message, left, right);
    }

    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        if (left != right) revert AssertionFailed(message);
    }

    function assertEq(address left, address right, string memory message) internal pure {
        if (left != right) revert AssertionFailed(message);
    }

    function assertLe(uint256 left, uint256 right, string memory message) internal pure {
        if (left > right) revert AssertionFailedUint(message, left, right);
    }

    function assertLt(uint256 left, uint256 right, string memory message) internal pure {
        if (left >= right) revert AssertionFailedUint(message, left, right);
    }

    function assertGt(uint256 left, uint256 right, string memory message) internal pure {
        if (left <= right) revert AssertionFailedUint(message, left, right);
    }

    function assertGe(uint256 left, uint256 right, string memory message) internal pure {
        if (left < right) revert AssertionFailedUint(message, left, right);
    }
}
