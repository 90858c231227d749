// Browser tests drive Debian's Chromium through playwright-core (no bundled browsers) and save a
// screenshot of every page they visit into test-results/screenshots/ (git-ignored) for a person
// to look at.
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = 'test-results/screenshots';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launch(): Promise<Browser> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A laptop-sized context; pages fail the test on any script error or dialog (e.g. an injected alert). */
export async function newPage(browser: Browser, opts: { viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('dialog', (d) => {
    // Our own "are you sure?" confirmations are accepted; anything else (an alert) is a bug.
    if (d.type() === 'confirm') return void d.accept();
    problems.push(`unexpected ${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.setDefaultTimeout(20_000);
  return { context, page, problems };
}

/** Saves a full-page screenshot named after the test and the step. */
export function screenshots(prefix: string) {
  let n = 0;
  return async (page: Page, name: string) => {
    n += 1;
    // A full-page capture would paint the sticky "Send invites" bar over the list it floats on.
    await page.screenshot({ path: `${SCREENSHOT_DIR}/${prefix}-${String(n).padStart(2, '0')}-${name}.png`, fullPage: true, style: '.sticky-send { position: static !important; }' });
  };
}

/** Runs a browser scenario; on failure keeps a screenshot (and the URL) of where it stopped. */
export async function scenario(page: Page, name: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (err) {
    await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}-FAILED.png`, fullPage: true }).catch(() => undefined);
    (err as Error).message = `${(err as Error).message}\n(at ${page.url()}; see ${SCREENSHOT_DIR}/${name}-FAILED.png)`;
    throw err;
  }
}

/** Retries an assertion until it passes (pages load and scripts poll), then rethrows the last failure. */
export async function eventually(check: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

const contains = (s: string, want: string | RegExp) => (want instanceof RegExp ? expect(s).toMatch(want) : expect(s).toContain(want));

/** Waiting assertions over locators, in the spirit of Playwright Test's web-first expect. */
export const see = {
  text: (loc: Locator, want: string | RegExp, timeoutMs?: number) => eventually(async () => contains(await loc.innerText({ timeout: 1000 }), want), timeoutMs),
  exactText: (loc: Locator, want: string) => eventually(async () => expect((await loc.innerText({ timeout: 1000 })).trim()).toBe(want)),
  count: (loc: Locator, n: number) => eventually(async () => expect(await loc.count()).toBe(n)),
  value: (loc: Locator, want: string) => eventually(async () => expect(await loc.inputValue({ timeout: 1000 })).toBe(want)),
  attr: (loc: Locator, name: string, want: string | RegExp) => eventually(async () => contains((await loc.getAttribute(name, { timeout: 1000 })) ?? '', want)),
  visible: (loc: Locator) => loc.waitFor({ state: 'visible' }),
  url: (page: Page, want: RegExp) => eventually(async () => expect(page.url()).toMatch(want)),
};
