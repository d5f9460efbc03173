// The admin page's Alerts tab, chosen by the URL hash (#alerts) so it can be linked and survives
// a reload.
import { useEffect, useState } from 'preact/hooks';

export { AlertsPage as AlertsTab } from './AlertsPage.tsx';

export type AdminTab = 'servers' | 'alerts';

/** Other hashes (the skip link's #main) leave the tab as it is. */
const tabOf = (hash: string): AdminTab | null => (hash === '#alerts' ? 'alerts' : hash === '' || hash === '#servers' ? 'servers' : null);

export function useAdminTab(): AdminTab {
  const [tab, setTab] = useState<AdminTab>(() => tabOf(location.hash) ?? 'servers');
  useEffect(() => {
    const onHash = () => setTab((current) => tabOf(location.hash) ?? current);
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return tab;
}
