/**
 * Runs tasks one after another per key (a Discord channel), different keys side by side: a customer's
 * messages are handled in the order they were sent, and a slow conversation does not hold up the others.
 */
export class SerialQueues {
  readonly #tails = new Map<string, Promise<void>>();

  /** Queues `task` after the tasks already queued under `key`. `task` must not reject. */
  run(key: string, task: () => Promise<void>): void {
    const tail = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    this.#tails.set(key, tail);
    void tail.then(() => {
      // forget an idle key, so the map does not grow with every channel ever seen
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
  }

  /** Resolves once every queued task has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}
