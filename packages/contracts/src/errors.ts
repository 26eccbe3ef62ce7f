/**
 * SuretyError is the root of every error the project raises on purpose. Each subclass has a stable
 * code and says whether retrying the same work later could succeed: retry policy reads the type,
 * never the message.
 */
export abstract class SuretyError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A message or request that breaks its contract: retrying the same bytes cannot help. */
export class ContractViolationError extends SuretyError {
  readonly code = 'SURETY_ERR_CONTRACT';
  readonly retryable = false;
}

/** A rule of the domain refuses the work (an unknown SKU, a transition that cannot happen). */
export class BusinessRuleError extends SuretyError {
  readonly code = 'SURETY_ERR_BUSINESS_RULE';
  readonly retryable = false;
}

/** A dependency failed in a way that may pass: a 5xx, a timeout, a lost connection. */
export class TransientError extends SuretyError {
  readonly code = 'SURETY_ERR_TRANSIENT';
  readonly retryable = true;
}

/** isRetryable tells whether an error may succeed on a later attempt; unknown errors are retried. */
export function isRetryable(error: unknown): boolean {
  return error instanceof SuretyError ? error.retryable : true;
}

/** errorCode gives the stable code of an error, or the class name of a foreign one. */
export function errorCode(error: unknown): string {
  if (error instanceof SuretyError) return error.code;
  if (error instanceof Error) return error.name;
  return 'UnknownError';
}
