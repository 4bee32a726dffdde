// The demo's service worker: an offline shell. It caches the page and its assets at install,
// answers navigations and the configuration (strongroom-config.json) network-first, the cached
// copy when offline, so that the page still knows where its enclave is; it never touches the API
// or the published release manifest: those need the network, and the page says so. It shows the relay's
// pushes (decrypted by the browser) as notifications; it cannot sign: the bridge needs a page.
const CACHE = 'strongroom-demo-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const page = await fetch('./', { cache: 'no-cache' });
      const html = await page.clone().text();
      await cache.put('./', page);
      const assets = [
        ...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+|manifest\.webmanifest|icon\.svg)"/g),
      ].map((m) => `./${m[1]}`);
      await cache.addAll([...assets, './icon-192.png']);
      // The configuration too (refreshed on each fetch): a deployment without one still installs.
      await cache.add('./strongroom-config.json').catch(() => undefined);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (
    url.pathname.includes('/api/') ||
    url.pathname.endsWith('strongroom-manifest.json') ||
    url.pathname.endsWith('strongroom-manifest.sigstore.json')
  ) {
    return;
  }
  if (url.pathname.endsWith('strongroom-config.json')) {
    event.respondWith(
      (async () => {
        const cache = await caches.open(CACHE);
        try {
          const fresh = await fetch(event.request);
          if (fresh.ok) await cache.put(event.request, fresh.clone());
          return fresh;
        } catch {
          return (await cache.match(event.request)) ?? Response.error();
        }
      })(),
    );
    return;
  }
  if (event.request.mode === 'navigate') {
    event.respondWith(
      fetch(event.request).catch(async () => (await caches.match('./')) ?? Response.error()),
    );
    return;
  }
  event.respondWith(caches.match(event.request).then((hit) => hit ?? fetch(event.request)));
});

self.addEventListener('push', (event) => {
  let message = { title: 'Strongroom notes', body: '' };
  try {
    message = { ...message, ...event.data?.json() };
  } catch {
    message.body = event.data?.text() ?? '';
  }
  event.waitUntil(
    (async () => {
      // The open pages see it too (the app shows the last push it received).
      for (const client of await self.clients.matchAll({
        type: 'window',
        includeUncontrolled: true,
      })) {
        client.postMessage({
          type: 'strongroom-demo/push',
          title: message.title,
          body: message.body,
        });
      }
      await self.registration.showNotification(String(message.title), {
        body: String(message.body),
        icon: 'icon-192.png',
      });
    })(),
  );
});
