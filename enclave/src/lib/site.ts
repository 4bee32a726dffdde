/**
 * A close approximation of "same site" (scheme plus registrable domain) without shipping the
 * Public Suffix List: an IP literal or a single-label host is its own site; otherwise the last
 * two labels are. It is used only to describe storage in `info()`, never for access control.
 */

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The approximate site of an origin, e.g. `http://strongroom.localhost`. */
export function siteOf(origin: string): string {
  const url = new URL(origin);
  const host = url.hostname;
  if (IPV4.test(host) || host.startsWith('[')) return `${url.protocol}//${host}`;
  const labels = host.split('.');
  return `${url.protocol}//${labels.slice(-2).join('.')}`;
}

/** Whether two origins are on different sites (approximately, see the module comment). */
export function isCrossSite(a: string, b: string): boolean {
  return siteOf(a) !== siteOf(b);
}
