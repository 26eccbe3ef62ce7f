/** answers asks a URL once: true if it answered 2xx within `timeoutMs`. */
export function answers(url: string, timeoutMs: number): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (response) => response.ok,
    () => false,
  );
}

/**
 * waitUntilReady polls a probe URL until it answers 2xx; false if it never did within the time.
 * Each probe may take `probeTimeoutMs`: on a crowded machine a process answers slowly at first.
 */
export async function waitUntilReady(url: string, timeoutMs: number, probeTimeoutMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers(url, probeTimeoutMs)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
