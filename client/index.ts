/**
 * `beatstream-protocol/client`: what a web page or a Node app imports to sign and send plays and fan engagement to a
 * BeatStream relayer (docs/client.md). Browser-safe: viem is its only dependency, no Node builtin is imported
 * (test/client/bundle.ts bundles it for the browser to prove it). Node's file store is in `…/client/node`.
 */
export { createBeatStreamClient, type BeatStreamClient, type CreateBeatStreamClientParameters, type CreatedResult, type PlayInput } from "./client.js";
export { createPlayTracker, QUALIFYING_SECONDS, type CreatePlayTrackerParameters, type PlayTracker, type PlayTrackerOutcome, type PlayTrackerState } from "./tracker.js";
export {
  createEventQueue,
  type BrowserEnvironment,
  type CreateEventQueueParameters,
  type EventQueue,
  type ItemResult,
  type QueueRejection,
  type Timers,
} from "./queue.js";
export { localStorageStorage, memoryStorage, type QueuedEvent, type QueueStorage, type WebStorageLike } from "./storage.js";
export {
  buildEngagement,
  ENGAGEMENT_ACTIONS,
  FIELD_RULES,
  NO_VALUE,
  PLAY_SOURCES,
  SHARE_CHANNELS,
  type EngagementAction,
  type EngagementFields,
  type EngagementItem,
  type PlayItem,
  type PlaySource,
  type ShareChannel,
} from "./events.js";
export { BeatStreamClientError, type ClientErrorCode } from "./errors.js";
export { toSigner, type BeatStreamWallet, type Signer } from "./signer.js";
export { ENGAGEMENT_TYPES, PLAY_TYPES, playDomain, type Engagement, type Play } from "../relayer/src/crypto/eip712.js";
