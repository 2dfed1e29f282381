// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {CreatorCoin} from "./CreatorCoin.sol";
import {ICreatorCoin} from "./interfaces/ICreatorCoin.sol";
import {ICreatorCoinFactory} from "./interfaces/ICreatorCoinFactory.sol";
import {ICreatorPlays} from "./interfaces/ICreatorPlays.sol";
import {IMusicDEXMarketOpener} from "./interfaces/IMusicDEXMarketOpener.sol";
import {IRevenueDistributor} from "./interfaces/IRevenueDistributor.sol";

/// @title CreatorCoinFactory
/// @notice Launches creator coins as clones of one CreatorCoin implementation and keeps creator metrics
/// and verification badges.
/// @dev Invariant: a creator has at most one coin, and it lives at predictCoinAddress(creator) (CREATE2 salt =
/// the creator's address), so "launched" is simply "that address has code"; every launched coin is
/// initialized, registered with the distributor and has an open market in the same transaction.
contract CreatorCoinFactory is AccessControl, ICreatorCoinFactory {
    /// @dev Launch parameters for future launches, packed in one slot read once per launch.
    struct LaunchParameters {
        uint64 launchThreshold;
        uint96 coinSupply;
        uint16 creatorAllocationBps;
        uint64 vestingDuration;
    }

    /// @notice Role of the relayer: reports creator metrics.
    bytes32 public constant RELAYER_ROLE = keccak256("RELAYER_ROLE");
    /// @notice Role that grants and revokes verification badges.
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");

    /// @notice Smallest supply governance may set: one whole coin (the revenue minimum eligible supply).
    uint256 public constant MIN_COIN_SUPPLY = 1e18;
    /// @notice Largest supply governance may set: 10 billion coins, well inside the coins' 96-bit balances.
    uint256 public constant MAX_COIN_SUPPLY = 1e28;
    /// @notice Largest creator allocation governance may set: half the supply.
    uint256 public constant MAX_CREATOR_ALLOCATION_BPS = 5_000;
    /// @notice Longest vesting governance may set: ten years.
    uint256 public constant MAX_VESTING_DURATION = 3_650 days;
    uint256 private constant BPS = 10_000;
    /// @dev Names and symbols are stored as one-slot short strings: at most 31 bytes.
    uint256 private constant LABEL_LENGTH_LIMIT = 32;

    /// @notice MusicNFT: the committed plays that gate launches.
    ICreatorPlays public immutable MUSIC_NFT;
    /// @notice MusicDEX: receives each coin's market supply and opens its market.
    address public immutable DEX;
    /// @notice RevenueDistributor: registers each coin and routes its revenue; its USDC is the coins' USDC.
    IRevenueDistributor public immutable DISTRIBUTOR;
    /// @dev The CreatorCoin every coin clones; deployed here so its FACTORY is this contract.
    address private immutable IMPLEMENTATION;

    LaunchParameters private _params;
    mapping(address creator => CreatorMetrics) private _metrics;
    mapping(address creator => bool) private _verified;

    /// @param musicNFT Source of committed plays per creator.
    /// @param dex The MusicDEX (must grant this factory its market-opener role).
    /// @param distributor The RevenueDistributor (must grant this factory REGISTRAR_ROLE); its usdc() becomes
    /// the revenue token of every coin.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance).
    constructor(ICreatorPlays musicNFT, address dex, IRevenueDistributor distributor, address admin) {
        if (
            address(musicNFT) == address(0) || dex == address(0) || address(distributor) == address(0)
                || admin == address(0)
        ) revert CreatorCoinFactoryZeroAddress();
        MUSIC_NFT = musicNFT;
        DEX = dex;
        DISTRIBUTOR = distributor;
        IMPLEMENTATION =
            address(new CreatorCoin(address(this), dex, address(distributor), IERC20(distributor.usdc())));
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _params = LaunchParameters({
            launchThreshold: 50_000,
            coinSupply: 1_000_000_000e18,
            creatorAllocationBps: 1_000,
            vestingDuration: 365 days
        });
        _emitLaunchParameters();
    }

    /// @inheritdoc ICreatorCoinFactory
    function launchCoin(string calldata name, string calldata symbol) external returns (address coin) {
        address creator = msg.sender;
        LaunchParameters memory params = _params;
        bytes32 salt = _salt(creator);
        address existing = Clones.predictDeterministicAddress(IMPLEMENTATION, salt);
        if (existing.code.length != 0) revert CreatorCoinFactoryAlreadyLaunched(creator, existing);
        uint256 plays = MUSIC_NFT.creatorPlays(creator);
        if (plays < params.launchThreshold) revert CreatorCoinFactoryBelowThreshold(plays, params.launchThreshold);
        if (!_validLabel(name)) revert CreatorCoinFactoryInvalidName(name);
        if (!_validLabel(symbol)) revert CreatorCoinFactoryInvalidSymbol(symbol);

        coin = Clones.cloneDeterministic(IMPLEMENTATION, salt);
        uint256 marketAmount = _initializeCoin(coin, name, symbol, creator, params);
        DISTRIBUTOR.registerCoin(coin);
        IMusicDEXMarketOpener(DEX).openMarket(coin, creator, marketAmount);
        emit CreatorCoinLaunched(
            creator,
            coin,
            name,
            symbol,
            params.coinSupply,
            params.coinSupply - marketAmount,
            params.vestingDuration
        );
    }

    /// @inheritdoc ICreatorCoinFactory
    function setLaunchThreshold(uint256 threshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (threshold == 0 || threshold > type(uint64).max) revert CreatorCoinFactoryInvalidLaunchThreshold(threshold);
        _params.launchThreshold = uint64(threshold);
        _emitLaunchParameters();
    }

    /// @inheritdoc ICreatorCoinFactory
    function setCoinSupply(uint256 supply) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (supply < MIN_COIN_SUPPLY || supply > MAX_COIN_SUPPLY) revert CreatorCoinFactoryInvalidCoinSupply(supply);
        // MAX_COIN_SUPPLY < 2^96.
        _params.coinSupply = uint96(supply);
        _emitLaunchParameters();
    }

    /// @inheritdoc ICreatorCoinFactory
    function setCreatorAllocationBps(uint256 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bps > MAX_CREATOR_ALLOCATION_BPS) revert CreatorCoinFactoryInvalidCreatorAllocation(bps);
        // MAX_CREATOR_ALLOCATION_BPS < 2^16.
        _params.creatorAllocationBps = uint16(bps);
        _emitLaunchParameters();
    }

    /// @inheritdoc ICreatorCoinFactory
    function setVestingDuration(uint256 duration) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (duration == 0 || duration > MAX_VESTING_DURATION) revert CreatorCoinFactoryInvalidVestingDuration(duration);
        // MAX_VESTING_DURATION < 2^64.
        _params.vestingDuration = uint64(duration);
        _emitLaunchParameters();
    }

    /// @inheritdoc ICreatorCoinFactory
    function updateCreatorMetrics(
        address creator,
        uint256 plays,
        uint256 followers,
        uint256 revenue,
        string calldata snapshotCid
    ) external onlyRole(RELAYER_ROLE) {
        _metrics[creator] = CreatorMetrics({
            plays: uint96(_checkFits(plays, 96)),
            followers: uint64(_checkFits(followers, 64)),
            revenue: uint96(_checkFits(revenue, 96)),
            snapshotCid: snapshotCid
        });
        emit CreatorMetricsUpdated(creator, plays, followers, revenue, snapshotCid);
    }

    /// @inheritdoc ICreatorCoinFactory
    function setVerified(address creator, bool verified) external onlyRole(VERIFIER_ROLE) {
        _verified[creator] = verified;
        emit CreatorVerified(creator, verified);
    }

    /// @inheritdoc ICreatorCoinFactory
    function coinOf(address creator) external view returns (address) {
        address coin = predictCoinAddress(creator);
        return coin.code.length != 0 ? coin : address(0);
    }

    /// @inheritdoc ICreatorCoinFactory
    function isCoin(address coin) external view returns (bool) {
        // The distributor registers every coin this factory launches, in the launch itself, and only those (its
        // REGISTRAR_ROLE is this factory's): one registry, and a launch writes one flag instead of two.
        return DISTRIBUTOR.isCoin(coin);
    }

    /// @inheritdoc ICreatorCoinFactory
    function implementation() external view returns (address) {
        return IMPLEMENTATION;
    }

    /// @inheritdoc ICreatorCoinFactory
    function creatorMetrics(address creator) external view returns (CreatorMetrics memory) {
        return _metrics[creator];
    }

    /// @inheritdoc ICreatorCoinFactory
    function isVerified(address creator) external view returns (bool) {
        return _verified[creator];
    }

    /// @inheritdoc ICreatorCoinFactory
    function launchThreshold() external view returns (uint256) {
        return _params.launchThreshold;
    }

    /// @inheritdoc ICreatorCoinFactory
    function coinSupply() external view returns (uint256) {
        return _params.coinSupply;
    }

    /// @inheritdoc ICreatorCoinFactory
    function creatorAllocationBps() external view returns (uint256) {
        return _params.creatorAllocationBps;
    }

    /// @inheritdoc ICreatorCoinFactory
    function vestingDuration() external view returns (uint256) {
        return _params.vestingDuration;
    }

    /// @inheritdoc ICreatorCoinFactory
    function predictCoinAddress(address creator) public view returns (address) {
        return Clones.predictDeterministicAddress(IMPLEMENTATION, _salt(creator));
    }

    /// @dev Splits the supply, initializes `coin`; returns the market share.
    function _initializeCoin(
        address coin,
        string calldata name,
        string calldata symbol,
        address creator,
        LaunchParameters memory params
    ) private returns (uint256 marketAmount) {
        uint256 creatorAmount = (uint256(params.coinSupply) * params.creatorAllocationBps) / BPS;
        marketAmount = params.coinSupply - creatorAmount;
        ICreatorCoin(coin).initialize(name, symbol, creator, marketAmount, creatorAmount, params.vestingDuration);
    }

    /// @dev Emits the launch parameters as they now stand.
    function _emitLaunchParameters() private {
        LaunchParameters memory params = _params;
        emit LaunchParametersUpdated(
            params.launchThreshold, params.coinSupply, params.creatorAllocationBps, params.vestingDuration
        );
    }

    /// @dev The CREATE2 salt of `creator`'s coin: its address, so one coin per creator.
    function _salt(address creator) private pure returns (bytes32) {
        return bytes32(uint256(uint160(creator)));
    }

    /// @dev A name or symbol must be 1-31 bytes (it is stored as a one-slot short string).
    function _validLabel(string calldata label) private pure returns (bool) {
        return bytes(label).length != 0 && bytes(label).length < LABEL_LENGTH_LIMIT;
    }

    /// @dev Reverts unless `value` fits `bits` bits; returns it.
    function _checkFits(uint256 value, uint256 bits) private pure returns (uint256) {
        if (value >> bits != 0) revert CreatorCoinFactoryMetricOverflow(value);
        return value;
    }
}
