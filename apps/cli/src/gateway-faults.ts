/** The gateway's run-time fault settings (apps/gateway/src/faults.ts), as PUT /admin/faults takes them. */
export type GatewayFaults = Partial<{
  failureRate: number;
  declineRate: number;
  latencyMs: number;
  honourIdempotencyKeys: boolean;
}>;

/**
 * setGatewayFaults changes the faults of the gateway stand-in that answers at gatewayUrl: the one
 * helper the drills, the bench and the test stacks use.
 */
export async function setGatewayFaults(gatewayUrl: string, faults: GatewayFaults): Promise<void> {
  const response = await fetch(`${gatewayUrl}/admin/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok) throw new Error(`gateway refused faults: ${response.status}`);
}
