/**
 * A FIFO between concurrent producers and one consumer. `push` waits while the queue is full, so
 * fast producers (page readers) cannot pile records up in memory faster than they are written.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly waitingPushers: Array<() => void> = [];
  private waitingPopper: (() => void) | undefined;
  private closed = false;
  private failure: { error: unknown } | undefined;

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => this.waitingPushers.push(resolve));
    }
    if (this.closed) return;
    this.items.push(item);
    this.wakePopper();
  }

  /** The next item, or undefined once the queue is closed and drained. Rethrows `fail`'s error. */
  async pop(): Promise<T | undefined> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const item = this.items.shift();
      if (item !== undefined) {
        this.waitingPushers.shift()?.();
        return item;
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.waitingPopper = resolve));
    }
  }

  /** No more items will come; the consumer drains what is left. */
  close(): void {
    this.closed = true;
    this.wakePopper();
    for (const wake of this.waitingPushers.splice(0)) wake();
  }

  /** A producer failed: the consumer gets the error at its next pop. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.close();
  }

  private wakePopper(): void {
    const wake = this.waitingPopper;
    this.waitingPopper = undefined;
    wake?.();
  }
}
