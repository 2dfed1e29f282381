// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Amounts, flags and parameters are event data, not filters: the indexer filters on the indexed addresses
// (STYLE 3), and these signatures are the ones it decodes. Indexing them would also cost more gas.
/* solhint-disable gas-indexed-events */

import {IRevenueDistributor} from "./IRevenueDistributor.sol";

/// @title ICreatorCoinFactory
/// @notice Launches one CreatorCoin per creator, as a clone at an address known in advance, once the
/// creator's committed plays reach the launch threshold; opens its market on MusicDEX and registers it
/// with the RevenueDistributor. Also records the creator metrics the relayer reports and verification badges.
interface ICreatorCoinFactory {
    /// @notice Metrics of a creator as last reported by the relayer.
    /// @param plays Committed plays of all the creator's tracks.
    /// @param followers Followers counted off-chain.
    /// @param revenue Revenue (USDC, 6 decimals) counted off-chain.
    /// @param snapshotCid CID of the snapshot file the numbers come from.
    struct CreatorMetrics {
        uint96 plays;
        uint64 followers;
        uint96 revenue;
        string snapshotCid;
    }

    /// @notice The creator has `plays` committed plays, fewer than `threshold`.
    error CreatorCoinFactoryBelowThreshold(uint256 plays, uint256 threshold);
    /// @notice `creator` already launched `coin`.
    error CreatorCoinFactoryAlreadyLaunched(address creator, address coin);
    /// @notice `name` is empty or longer than 31 bytes.
    error CreatorCoinFactoryInvalidName(string name);
    /// @notice `symbol` is empty or longer than 31 bytes.
    error CreatorCoinFactoryInvalidSymbol(string symbol);
    /// @notice `threshold` is zero or does not fit 64 bits.
    error CreatorCoinFactoryInvalidLaunchThreshold(uint256 threshold);
    /// @notice `supply` is outside [MIN_COIN_SUPPLY, MAX_COIN_SUPPLY].
    error CreatorCoinFactoryInvalidCoinSupply(uint256 supply);
    /// @notice `bps` exceeds MAX_CREATOR_ALLOCATION_BPS.
    error CreatorCoinFactoryInvalidCreatorAllocation(uint256 bps);
    /// @notice `duration` is zero or exceeds MAX_VESTING_DURATION.
    error CreatorCoinFactoryInvalidVestingDuration(uint256 duration);
    /// @notice A reported metric `value` does not fit its stored width.
    error CreatorCoinFactoryMetricOverflow(uint256 value);
    /// @notice A constructor argument was the zero address.
    error CreatorCoinFactoryZeroAddress();

    /// @notice `creator` launched `coin` with `totalSupply`, of which `creatorAllocation` vests to the creator
    /// over `vestingDuration` seconds and the rest went to its market.
    event CreatorCoinLaunched(
        address indexed creator,
        address indexed coin,
        string name,
        string symbol,
        uint256 totalSupply,
        uint256 creatorAllocation,
        uint64 vestingDuration
    );
    /// @notice Governance changed a launch parameter; carries all of them as they now stand.
    event LaunchParametersUpdated(
        uint256 launchThreshold, uint256 coinSupply, uint256 creatorAllocationBps, uint256 vestingDuration
    );
    /// @notice The relayer reported `creator`'s metrics from the snapshot `snapshotCid`.
    event CreatorMetricsUpdated(
        address indexed creator, uint256 plays, uint256 followers, uint256 revenue, string snapshotCid
    );
    /// @notice `creator`'s verification badge was set to `verified`.
    event CreatorVerified(address indexed creator, bool verified);

    /// @notice Launches the caller's coin at predictCoinAddress(caller) with the current launch parameters.
    /// Requires the caller's committed plays ≥ launchThreshold, no coin yet, 1-31 byte name and symbol.
    /// @return coin The new coin.
    function launchCoin(string calldata name, string calldata symbol) external returns (address coin);

    /// @notice Sets the committed plays needed to launch (future launches). Only DEFAULT_ADMIN_ROLE.
    function setLaunchThreshold(uint256 threshold) external;

    /// @notice Sets the supply minted at launch, 18 decimals (future launches). Only DEFAULT_ADMIN_ROLE.
    function setCoinSupply(uint256 supply) external;

    /// @notice Sets the creator's vesting share of the supply in basis points (future launches).
    /// Only DEFAULT_ADMIN_ROLE.
    function setCreatorAllocationBps(uint256 bps) external;

    /// @notice Sets the vesting duration of the creator's allocation in seconds (future launches).
    /// Only DEFAULT_ADMIN_ROLE.
    function setVestingDuration(uint256 duration) external;

    /// @notice Records `creator`'s metrics as counted in the snapshot `snapshotCid`. Only RELAYER_ROLE.
    function updateCreatorMetrics(
        address creator,
        uint256 plays,
        uint256 followers,
        uint256 revenue,
        string calldata snapshotCid
    ) external;

    /// @notice Sets `creator`'s verification badge. Only VERIFIER_ROLE.
    function setVerified(address creator, bool verified) external;

    /// @notice The coin `creator` launched, or the zero address.
    function coinOf(address creator) external view returns (address);

    /// @notice The RevenueDistributor every coin of this factory is registered with.
    function DISTRIBUTOR() external view returns (IRevenueDistributor);

    /// @notice Whether `coin` is a launched creator coin: the distributor's registry, which this factory writes at
    /// every launch (its REGISTRAR_ROLE is the factory's).
    function isCoin(address coin) external view returns (bool);

    /// @notice The address `creator`'s coin has (or will have) once launched.
    function predictCoinAddress(address creator) external view returns (address);

    /// @notice The CreatorCoin implementation every coin is a clone of.
    function implementation() external view returns (address);

    /// @notice `creator`'s last reported metrics.
    function creatorMetrics(address creator) external view returns (CreatorMetrics memory);

    /// @notice Whether `creator` carries the verification badge.
    function isVerified(address creator) external view returns (bool);

    /// @notice Committed plays a creator needs to launch a coin.
    function launchThreshold() external view returns (uint256);

    /// @notice Supply (18 decimals) minted at each launch.
    function coinSupply() external view returns (uint256);

    /// @notice Share of the supply, in basis points, that vests to the creator.
    function creatorAllocationBps() external view returns (uint256);

    /// @notice Seconds over which the creator's allocation vests.
    function vestingDuration() external view returns (uint256);
}
