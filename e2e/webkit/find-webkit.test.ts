/** Unit tests for the WebKitGTK tool lookup (no browser started). */
import { describe, expect, it } from 'vitest';
import { findWebKit, WEBKIT_INSTALL_HINT } from './find-webkit';

describe('findWebKit', () => {
  it('reports a bad env override with the apt command instead of falling back', () => {
    const res = findWebKit({
      ...process.env,
      STRONGROOM_WEBKIT_DRIVER: '/nonexistent/WebKitWebDriver',
      STRONGROOM_WEBKIT_BINARY: '/nonexistent/MiniBrowser',
    });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.missing).toHaveLength(2);
    expect(res.message).toContain('STRONGROOM_WEBKIT_DRIVER=/nonexistent/WebKitWebDriver');
    expect(res.message).toContain(WEBKIT_INSTALL_HINT);
  });

  it('returns absolute paths when the tools are installed', () => {
    const res = findWebKit();
    if (!res.ok) return; // nothing installed here: covered by the test above
    expect(res.paths.driver).toMatch(/^\/.*WebKitWebDriver$/);
    expect(res.paths.binary).toMatch(/^\/.*MiniBrowser$/);
  });
});
