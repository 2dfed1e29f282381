import { RelayerError } from "../errors.js";

/** A step found the batch in a state it cannot act on (wrong status, rebuilt evidence differs from what seal recorded). */
export class BatchStateError extends RelayerError {
  override name = "BatchStateError";
  constructor(message: string) {
    super("batch_state", message);
  }
}

/** A settlement ran into a state its step cannot act on. */
export class SettlementStateError extends RelayerError {
  override name = "SettlementStateError";
  constructor(message: string) {
    super("settlement_state", message);
  }
}
