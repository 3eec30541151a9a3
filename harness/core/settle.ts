// Waiting for something that may never finish (a QUIC close whose peer is gone, a process
// that may not die), without letting the wait itself keep the process alive.

/** Resolves when `p` settles or after `ms`, whichever is first; never rejects. */
export function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => (timer = setTimeout(r, ms).unref()));
  return Promise.race([p.then(() => undefined, () => undefined), late]).finally(() => clearTimeout(timer));
}
