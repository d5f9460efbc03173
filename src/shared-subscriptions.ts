// One execution for many subscribers of the same overview. `overviewUpdated` carries the whole
// fleet: executed per subscriber, every push would cost each open status page ~40 ms of CPU at
// 10,000 servers (bench/). Subscribers of the same operation, variables and role share one
// underlying subscription here, and a subscriber that joins gets the latest result at once.
import { Repeater } from 'graphql-yoga';
import { Kind, print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './builder.ts';

const SHARED_FIELDS = new Set(['overviewUpdated']);

interface Shared {
  consumers: Set<(result: ExecutionResult | null) => void>;
  last?: ExecutionResult;
  iterator: AsyncIterator<ExecutionResult>;
  closed: boolean;
}

function sharedFieldOf(document: DocumentNode, operationName?: string | null): string | null {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return null;
  const selection = operation.selectionSet.selections[0]!;
  return selection.kind === Kind.FIELD && SHARED_FIELDS.has(selection.name.value) && !selection.directives?.length ? selection.name.value : null;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> =>
  typeof (value as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === 'function';

export function useSharedSubscriptions(): Plugin<Context> {
  const registry = new Map<string, Promise<Shared | ExecutionResult>>();

  function start(key: string, subscribe: () => Promise<unknown>): Promise<Shared | ExecutionResult> {
    const self: { entry?: Promise<Shared | ExecutionResult> } = {};
    const entry = (self.entry = (async () => {
      const result = await subscribe();
      if (!isAsyncIterable(result)) return result as ExecutionResult; // refused (auth, validation): not shared
      const shared: Shared = { consumers: new Set(), iterator: result[Symbol.asyncIterator](), closed: false };
      void (async () => {
        try {
          for (;;) {
            const next = await shared.iterator.next();
            if (next.done) break;
            shared.last = next.value;
            for (const consumer of shared.consumers) consumer(next.value);
          }
        } finally {
          shared.closed = true;
          if (registry.get(key) === self.entry) registry.delete(key);
          for (const consumer of shared.consumers) consumer(null);
        }
      })();
      return shared;
    })());
    registry.set(key, entry);
    entry.then(
      (value) => 'consumers' in value || registry.get(key) !== entry || registry.delete(key),
      () => registry.get(key) === entry && registry.delete(key),
    );
    return entry;
  }

  async function join(key: string, subscribe: () => Promise<unknown>): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> {
    for (;;) {
      const entry = await (registry.get(key) ?? start(key, subscribe));
      if (!('consumers' in entry)) return entry;
      if (entry.closed) continue; // torn down while we waited: start anew
      return new Repeater<ExecutionResult>(async (push, stop) => {
        const consumer = (result: ExecutionResult | null) => (result ? void push(result) : stop());
        entry.consumers.add(consumer);
        if (entry.last) void push(entry.last);
        await stop;
        entry.consumers.delete(consumer);
        if (entry.consumers.size === 0 && !entry.closed) {
          entry.closed = true;
          registry.delete(key);
          await entry.iterator.return?.();
        }
      });
    }
  }

  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      if (!sharedFieldOf(args.document, args.operationName)) return;
      const session = (args.contextValue as Context).session;
      const role = session.kind === 'admin' ? `admin:${session.scope}` : 'anonymous';
      const key = JSON.stringify([print(args.document), args.operationName ?? null, args.variableValues ?? {}, role]);
      setSubscribeFn((subscribeArgs) => join(key, async () => subscribeFn(subscribeArgs)) as never);
    },
  };
}
