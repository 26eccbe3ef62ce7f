import CircuitBreaker from 'opossum';
import { Pool } from 'undici';
import { Gauge, type Registry } from 'prom-client';
import { BusinessRuleError, TransientError } from '@surety/contracts';
import type { Logger } from '@surety/telemetry';

export type ChargeResult =
  | { status: 'captured'; chargeId: string; amountCents: number }
  | { status: 'declined'; chargeId: string; reason: string };

export interface RefundResult {
  refundId: string;
  chargeId: string;
  amountCents: number;
}

interface GatewayAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The circuit breaker around the gateway's calls. */
export interface BreakerSettings {
  /** Share of failed calls in the rolling window that opens the circuit. */
  errorThresholdPercentage: number;
  /** Calls in the window before the share is judged. */
  volumeThreshold: number;
  /** How long the circuit stays open before one trial call. */
  resetTimeoutMs: number;
}

type Post = (path: string, idempotencyKey: string, body: unknown) => Promise<GatewayAnswer>;

/**
 * GatewayClient calls the payment provider with an idempotency key derived from the order, so a
 * call repeated after a crash returns the first result instead of charging again. A 5xx, a timeout
 * or a lost connection is a TransientError (retried); any other refusal is a BusinessRuleError.
 */
export class GatewayClient {
  private readonly breaker: CircuitBreaker<Parameters<Post>, GatewayAnswer>;
  /** Kept-alive connections to the gateway: a call reuses one instead of connecting. */
  private readonly http: Pool;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    breaker: BreakerSettings,
    deps: { registry: Registry; logger: Logger },
  ) {
    this.http = new Pool(new URL(baseUrl).origin, { connections: 64 });
    // Only a provider in trouble opens the circuit: a refusal is an answer, not a failure.
    this.breaker = new CircuitBreaker<Parameters<Post>, GatewayAnswer>(
      (path, key, body) => this.send(path, key, body),
      {
        timeout: false,
        errorThresholdPercentage: breaker.errorThresholdPercentage,
        volumeThreshold: breaker.volumeThreshold,
        resetTimeout: breaker.resetTimeoutMs,
        rollingCountTimeout: 10_000,
        errorFilter: (error: unknown) => !(error instanceof TransientError),
      },
    );
    const state = new Gauge({
      name: 'surety_gateway_circuit_state',
      help: 'The payment gateway circuit: 0 closed, 1 half-open, 2 open.',
      registers: [deps.registry],
    });
    state.set(0);
    this.breaker.on('open', () => {
      state.set(2);
      deps.logger.warn({ resetTimeoutMs: breaker.resetTimeoutMs }, 'gateway circuit opened: calls paused');
    });
    this.breaker.on('halfOpen', () => state.set(1));
    this.breaker.on('close', () => {
      state.set(0);
      deps.logger.info('gateway circuit closed');
    });
  }

  async charge(orderId: string, amountCents: number): Promise<ChargeResult> {
    const answer = await this.post('/charges', `charge-${orderId}`, { orderId, amountCents });
    const chargeId = String(answer.body.id);
    if (answer.status === 201 || answer.status === 200) {
      return { status: 'captured', chargeId, amountCents: Number(answer.body.amountCents) };
    }
    if (answer.status === 402) {
      return {
        status: 'declined',
        chargeId,
        reason: typeof answer.body.declineReason === 'string' ? answer.body.declineReason : 'declined',
      };
    }
    throw this.refusal('charge', answer);
  }

  async refund(orderId: string, chargeId: string): Promise<RefundResult> {
    const answer = await this.post('/refunds', `refund-${orderId}`, { chargeId });
    if (answer.status === 201 || answer.status === 200) {
      return { refundId: String(answer.body.id), chargeId, amountCents: Number(answer.body.amountCents) };
    }
    throw this.refusal('refund', answer);
  }

  private refusal(what: string, answer: GatewayAnswer): BusinessRuleError {
    return new BusinessRuleError(`gateway refused the ${what} (${answer.status}): ${JSON.stringify(answer.body)}`);
  }

  /** post calls through the circuit: while it is open the call fails at once, as a TransientError. */
  private async post(path: string, idempotencyKey: string, body: unknown): Promise<GatewayAnswer> {
    try {
      return await this.breaker.fire(path, idempotencyKey, body);
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        throw new TransientError('gateway circuit open: call not attempted', { cause: error });
      }
      throw error;
    }
  }

  private async send(path: string, idempotencyKey: string, body: unknown): Promise<GatewayAnswer> {
    let status: number;
    let text: string;
    try {
      const response = await this.http.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new TransientError(`gateway unreachable: ${(error as Error).message}`, { cause: error });
    }
    if (status >= 500 || status === 429) {
      throw new TransientError(`gateway answered ${status}`);
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new TransientError(`gateway answered ${status} with a body that is not JSON`, { cause: error });
    }
    return { status, body: parsed };
  }
}
