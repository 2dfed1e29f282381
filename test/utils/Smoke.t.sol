// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./Test.sol";
import {MockUSDC} from "../../contracts/mocks/MockUSDC.sol";

contract Counter {
    uint256 public count;
    function bump(uint256 by) external { count += by; }
}

contract CounterHandler is Test {
    Counter public immutable counter;
    uint256 public ghostSum;
    constructor(Counter c) { counter = c; }
    function bump(uint256 by) external {
        by = bound(by, 0, 1e18);
        counter.bump(by);
        ghostSum += by;
    }
}

contract SmokeTest is Test {
    MockUSDC usdc;
    Counter counter;
    CounterHandler handler;

    function setUp() public {
        usdc = new MockUSDC();
        counter = new Counter();
        handler = new CounterHandler(counter);
        targetContract(address(handler));
    }

    function testFuzz_BoundStaysInRange(uint256 x) public pure {
        uint256 y = bound(x, 10, 20);
        assertTrue(y >= 10 && y <= 20, "bound");
    }

    function test_PrankAndWarp() public {
        address alice = vm.addr(1);
        vm.warp(1_000_000);
        assertEq(block.timestamp, 1_000_000, "warp");
        vm.prank(alice);
        usdc.mint(alice, 5);
        assertEq(usdc.balanceOf(alice), 5, "mint");
    }

    function invariant_CounterEqualsGhost() public view {
        assertEq(counter.count(), handler.ghostSum(), "ghost");
    }
}
