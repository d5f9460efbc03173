// The admin token lives in sessionStorage: it survives a reload of the tab but not closing it,
// is never written to the URL (where it would leak into history, logs and Referer headers), and
// is not shared with other tabs.
const KEY = 'harborforge.adminToken';

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled (privacy mode): the user simply signs in each time
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    /* see readToken */
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* see readToken */
  }
}
