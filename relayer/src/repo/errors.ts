import { RelayerError } from "../errors.js";

/** A step found the batch in a state it cannot act on (wrong status, rebuilt evidence differs from what seal recorded). */
export class BatchStateError extends RelayerError {
  constructor(message: string) {
    super("batch_state", message);
  }
}

/** A settlement ran into a state its step cannot act on. */
export class SettlementStateError extends RelayerError {
  constructor(message: string) {
    super("settlement_state", message);
  }
}

/** A holder-revenue distribution ran into a state its step cannot act on. */
export class DistributionStateError extends RelayerError {
  constructor(message: string) {
    super("distribution_state", message);
  }
}
