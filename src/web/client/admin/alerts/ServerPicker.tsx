// Picks servers for a rule's or silence's scope by searching (a few matches at a time), so it
// works the same for ten servers or a hundred thousand.
import { useEffect, useState } from 'preact/hooks';
import type { ServerChoice } from './api.ts';
import { searchServers } from './api.ts';

interface Props {
  id: string;
  token: string;
  selected: ServerChoice[];
  onChange(selected: ServerChoice[]): void;
}

export function ServerPicker({ id, token, selected, onChange }: Props) {
  const [search, setSearch] = useState('');
  const [matches, setMatches] = useState<ServerChoice[]>([]);
  useEffect(() => {
    if (!search.trim()) return setMatches([]);
    let current = true;
    // Wait for a pause in typing: one query per search, not per key.
    const timer = setTimeout(() => {
      searchServers(token, search.trim())
        .then((found) => current && setMatches(found))
        .catch(() => current && setMatches([]));
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [search, token]);
  const chosen = new Set(selected.map((server) => server.id));
  return (
    <div class="picker">
      {selected.length ? (
        <ul class="chips" aria-label="Selected servers">
          {selected.map((server) => (
            <li key={server.id} class="chip">
              {server.identifier}
              <button type="button" class="chip-remove" aria-label={`Remove ${server.identifier}`} onClick={() => onChange(selected.filter((item) => item.id !== server.id))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <input id={id} type="search" value={search} placeholder="Search servers to add" autocomplete="off" spellcheck={false} onInput={(event) => setSearch(event.currentTarget.value)} />
      {matches.length ? (
        <ul class="matches">
          {matches.map((server) => (
            <li key={server.id}>
              <button
                type="button"
                class="button button-small"
                disabled={chosen.has(server.id)}
                onClick={() => {
                  onChange([...selected, server]);
                  setSearch('');
                }}
              >
                Add {server.identifier}
              </button>
              {server.name !== server.identifier ? <span class="muted small"> {server.name}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
