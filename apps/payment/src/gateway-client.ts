import { BusinessRuleError, TransientError } from '@surety/contracts';

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

/**
 * GatewayClient calls the payment provider with an idempotency key derived from the order, so a
 * call repeated after a crash returns the first result instead of charging again. A 5xx, a timeout
 * or a lost connection is a TransientError (retried); any other refusal is a BusinessRuleError.
 */
export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

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

  private async post(path: string, idempotencyKey: string, body: unknown): Promise<GatewayAnswer> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new TransientError(`gateway unreachable: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    if (response.status >= 500 || response.status === 429) {
      throw new TransientError(`gateway answered ${response.status}`);
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new TransientError(`gateway answered ${response.status} with a body that is not JSON`, { cause: error });
    }
    return { status: response.status, body: parsed };
  }
}
