// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev OpenZeppelin StandardMerkleTree (`@openzeppelin/merkle-tree`, `makeMerkleTree`) rebuilt for the Solidity
/// suites: leaf hashes sorted ascending fill the node array's end in reverse, and node `i` hashes its children
/// `2i + 1` and `2i + 2` as a sorted pair, so node 0 is the root the relayer commits for the same leaves.
library PlayTrees {
    /// @dev The tree's nodes, root first, for leaf hashes in any order; needs at least one leaf.
    function build(bytes32[] memory leafHashes) internal pure returns (bytes32[] memory nodes) {
        uint256 count = leafHashes.length;
        bytes32[] memory sorted = new bytes32[](count);
        for (uint256 i; i < count; ++i) sorted[i] = leafHashes[i];
        _sort(sorted);
        nodes = new bytes32[](2 * count - 1);
        for (uint256 i; i < count; ++i) nodes[nodes.length - 1 - i] = sorted[i];
        for (uint256 i = nodes.length - count; i > 0; --i) {
            nodes[i - 1] = hashPair(nodes[2 * i - 1], nodes[2 * i]);
        }
    }

    /// @dev The proof of node `index`: its sibling, then each ancestor's sibling up to (not including) the root.
    function proofOf(bytes32[] memory nodes, uint256 index) internal pure returns (bytes32[] memory proof) {
        uint256 depth;
        for (uint256 i = index; i > 0; i = (i - 1) / 2) ++depth;
        proof = new bytes32[](depth);
        uint256 at = index;
        for (uint256 d; d < depth; ++d) {
            proof[d] = nodes[at % 2 == 1 ? at + 1 : at - 1];
            at = (at - 1) / 2;
        }
    }

    /// @dev The node index holding `leafHash`; reverts if the tree has no such leaf.
    function indexOf(bytes32[] memory nodes, bytes32 leafHash) internal pure returns (uint256) {
        // Leaves are the last (length + 1) / 2 nodes.
        for (uint256 i = nodes.length / 2; i < nodes.length; ++i) {
            if (nodes[i] == leafHash) return i;
        }
        revert("PlayTrees: leaf not in tree");
    }

    /// @dev Whether node `index` is an inner node (the root included), i.e. has children.
    function isInner(bytes32[] memory nodes, uint256 index) internal pure returns (bool) {
        return 2 * index + 1 < nodes.length;
    }

    /// @dev OpenZeppelin's `Hashes.commutativeKeccak256`.
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _sort(bytes32[] memory values) private pure {
        for (uint256 i = 1; i < values.length; ++i) {
            bytes32 value = values[i];
            uint256 j = i;
            while (j > 0 && values[j - 1] > value) {
                values[j] = values[j - 1];
                --j;
            }
            values[j] = value;
        }
    }
}
