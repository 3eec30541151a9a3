// What keeps a tunnel server from being a memory sink or an oracle for tokens: at most so
// many streams at once, and a budget of refused tokens per peer address (a burst, then a
// slow refill) past which every stream of that peer is refused unread. QUIC validates the
// peer's address before any stream (the server always sends a Retry), so an address cannot
// be spoofed to spend someone else's budget.

export interface GuardLimits {
  /** Streams being set up or relayed at once. @default 1024 */
  maxStreams: number;
  /** Refused tokens a peer address may spend at once. @default 10 */
  tokenBurst: number;
  /** Refused tokens a peer earns back per second. @default 1 */
  tokenRefillPerSec: number;
  /** Refused tokens on one connection before it is closed. @default 3 */
  refusalsPerConnection: number;
}

export const DEFAULT_GUARD: GuardLimits = { maxStreams: 1024, tokenBurst: 10, tokenRefillPerSec: 1, refusalsPerConnection: 3 };

export class TunnelGuard {
  private streams = 0;
  private readonly budget = new Map<string, { left: number; at: number }>();

  constructor(
    readonly limits: GuardLimits = DEFAULT_GUARD,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Take a stream slot; false when the server is full. Give it back with release(). */
  acquire(): boolean {
    if (this.streams >= this.limits.maxStreams) return false;
    this.streams++;
    return true;
  }

  release(): void {
    this.streams = Math.max(0, this.streams - 1);
  }

  get openStreams(): number {
    return this.streams;
  }

  private bucket(peer: string): { left: number; at: number } {
    const t = this.now();
    const b = this.budget.get(peer) ?? { left: this.limits.tokenBurst, at: t };
    b.left = Math.min(this.limits.tokenBurst, b.left + ((t - b.at) / 1000) * this.limits.tokenRefillPerSec);
    b.at = t;
    this.budget.set(peer, b);
    return b;
  }

  /** Whether a peer may still have a token looked up (its refusal budget is not spent). */
  mayTry(peer: string): boolean {
    return this.bucket(peer).left >= 1;
  }

  /** A refused token spends one unit of the peer's budget. */
  refused(peer: string): void {
    this.bucket(peer).left -= 1;
  }
}
