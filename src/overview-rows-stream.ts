// Large overview answers over HTTP (`overview { servers { … } }` of thousands of rows, above all
// the unpaged one) have their rows written as JSON text straight from the fleet index and streamed
// in chunks (src/services/overview-json.ts says why). Everything else about the operation runs as
// usual: the `servers` resolver registers its page here and resolves to an empty list, execution
// completes, a marker takes the list's place in the result, and once Yoga has serialized that
// small result the response body becomes: the text before the marker, the rows, the text after.
//
// Only on Yoga's own /graphql endpoint (whose answers this plugin sees as a whole), only for
// queries, and only when every selected row field is one the writer knows without directives or
// fragments; any other selection takes the ordinary path.
import { randomBytes } from 'node:crypto';
import { Kind, responsePathAsArray, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Page } from './services/fleet-index.ts';
import { compileRowWriter, ROW_FIELDS, rowChunks, type RowSelection, type RowWriterOptions } from './services/overview-json.ts';

/** Pages shorter than this take the ordinary path: the fast one pays off only for large answers. */
export const STREAM_MIN_ROWS = 500;

const MARKER = `@@harborforge-rows-${randomBytes(9).toString('base64url')}`;

interface DeferredRows {
  path: readonly (string | number)[];
  page: Page;
  write: ReturnType<typeof compileRowWriter>;
}

/** Requests on /graphql whose rows may be deferred (a query's list of them, once executing). */
const deferrable = new WeakMap<Request, DeferredRows[] | null>();

/** The selected row fields, or null when the writer cannot answer exactly this selection. */
function rowSelection(selectionSet: SelectionSetNode | undefined): RowSelection[] | null {
  if (!selectionSet) return null;
  const fields: RowSelection[] = [];
  const keys = new Set<string>();
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length || selection.arguments?.length) return null;
    const name = selection.name.value;
    const key = selection.alias?.value ?? name;
    if (!ROW_FIELDS.has(name) || keys.has(key)) return null; // a repeated key would be merged by GraphQL
    keys.add(key);
    if (name === 'agents') {
      const sub = rowSelection(selection.selectionSet);
      if (!sub || !sub.every((f) => f.name === 'id' || f.name === 'name' || f.name === '__typename')) return null;
      // Inside `agents` the names mean the Agent's fields.
      fields.push({ key, name, agentFields: sub.map((f) => ({ key: f.key, name: f.name as 'id' | 'name' | '__typename' })) });
    } else {
      if (selection.selectionSet) return null;
      fields.push({ key, name });
    }
  }
  return fields;
}

/**
 * Called by `Overview.servers`: true when this page's rows will be written by the plugin (the
 * resolver then answers an empty list), false to resolve them as usual.
 */
export function deferRows(request: Request | undefined, info: GraphQLResolveInfo, page: Page, tagsOf: RowWriterOptions['tagsOf']): boolean {
  const deferred = request && deferrable.get(request);
  if (!deferred || info.operation.operation !== 'query' || page.entries.length < STREAM_MIN_ROWS || info.fieldNodes.length !== 1) return false;
  const selection = rowSelection(info.fieldNodes[0]!.selectionSet);
  if (!selection) return false;
  deferred.push({ path: responsePathAsArray(info.path), page, write: compileRowWriter(selection, { tagsOf }) });
  return true;
}

const markerOf = (i: number) => `${MARKER}-${i}@@`;

/** Bytes per write of a streamed answer (a few ms of work between turns of the event loop). */
const WRITE_BYTES = 512 * 1024;

export function useOverviewRowStream(path: string): Plugin {
  return {
    onRequest({ request, url }) {
      if (url.pathname === path) deferrable.set(request, null);
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request && deferrable.has(request)) deferrable.set(request, []);
      return {
        onExecuteDone({ result }) {
          const deferred = request && deferrable.get(request);
          if (!deferred?.length || !('data' in result) || !result.data) return;
          // The list's place in the result: a marker, replaced by the rows once serialized.
          deferred.forEach((rows, i) => {
            let holder = result.data as Record<string | number, unknown>;
            for (const key of rows.path.slice(0, -1)) holder = holder[key] as Record<string | number, unknown>;
            holder[rows.path.at(-1)!] = markerOf(i);
          });
        },
      };
    },
    onResponse({ request, response, setResponse, fetchAPI }) {
      const deferred = deferrable.get(request);
      deferrable.delete(request);
      if (!deferred?.length) return;
      return response.text().then((text) => {
        const pieces: (string | DeferredRows)[] = [];
        let from = 0;
        deferred.forEach((rows, i) => {
          const marker = `"${markerOf(i)}"`;
          const at = text.indexOf(marker, from);
          if (at < 0) return; // the field was nulled by an error elsewhere: nothing to write
          pieces.push(text.slice(from, at), rows);
          from = at + marker.length;
        });
        pieces.push(text.slice(from));
        async function* body() {
          // Chunks of rows are gathered into writes of ~512 KB; the event loop gets a turn between writes.
          let held: Buffer[] = [];
          let heldBytes = 0;
          for (const piece of pieces) {
            const texts = typeof piece === 'string' ? [piece] : rowChunks(piece.page.entries, piece.page.now, piece.write);
            for (const text of texts) {
              const bytes = Buffer.from(text);
              held.push(bytes);
              heldBytes += bytes.length;
              if (heldBytes < WRITE_BYTES) continue;
              yield held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
              held = [];
              heldBytes = 0;
              await new Promise((resolve) => setImmediate(resolve));
            }
          }
          if (heldBytes) yield Buffer.concat(held, heldBytes);
        }
        const headers = new fetchAPI.Headers(response.headers);
        headers.delete('content-length');
        const iterator = body();
        const stream = new fetchAPI.ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = await iterator.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
          async cancel() {
            await iterator.return(undefined);
          },
        });
        setResponse(new fetchAPI.Response(stream, { status: response.status, statusText: response.statusText, headers }));
      });
    },
  };
}
