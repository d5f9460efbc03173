// An async iterator that holds at most one undelivered value: a newer one replaces it. For
// subscriptions whose every event is a whole state (overviewUpdated), a reader that cannot keep
// up (a stalled socket stops pulling) costs one pending value, never a queue.
export function latestOnly<T>(start: (push: (value: T) => void) => () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let pending: { value: T } | null = null;
      let waiting: ((result: IteratorResult<T>) => void) | null = null;
      let done = false;
      const stop = start((value) => {
        if (done) return;
        if (waiting) {
          const resolve = waiting;
          waiting = null;
          resolve({ done: false, value });
        } else {
          pending = { value };
        }
      });
      const finish = (): IteratorResult<T> => {
        if (!done) {
          done = true;
          pending = null;
          stop();
          waiting?.({ done: true, value: undefined });
          waiting = null;
        }
        return { done: true, value: undefined };
      };
      return {
        next() {
          if (done) return Promise.resolve({ done: true, value: undefined });
          if (pending) {
            const { value } = pending;
            pending = null;
            return Promise.resolve({ done: false, value });
          }
          return new Promise((resolve) => (waiting = resolve));
        },
        return: async () => finish(),
        throw: async (error) => {
          finish();
          throw error;
        },
      };
    },
  };
}
