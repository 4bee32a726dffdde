/**
 * The demo app (`host-demo/`): it connects through the bridge, makes a key, signs, verifies
 * in the enclave and in the page, and shows the result.
 */
import { expect, test } from './support/test';

test.describe('when a person uses the demo app', () => {
  test('it connects, makes a key, signs and shows a verified signature', async ({ page, urls }) => {
    await page.goto(`${urls.app}/demo/`);
    await expect(page.locator('#status')).toContainText(
      `connected to ${new URL(urls.enclave).origin}`,
    );
    for (const alg of ['EdDSA', 'ES256']) {
      await page.selectOption('#alg', alg);
      await page.click('#run');
      await expect(page.locator('#result')).toHaveAttribute('data-verified', 'true');
      await expect(page.locator('#result')).toContainText('verified in this page:   true');
      await page.evaluate(() =>
        document.getElementById('result')?.removeAttribute('data-verified'),
      );
    }
    await expect(page.locator('#result')).toContainText('keys of this origin:     2');
  });
});
