/**
 * waitUntilReady polls a probe URL until it answers 2xx; false if it never did within the time.
 * Each probe may take `probeTimeoutMs`: on a crowded machine a process answers slowly at first.
 */
export async function waitUntilReady(url: string, timeoutMs: number, probeTimeoutMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(probeTimeoutMs) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
