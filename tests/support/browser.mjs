// Test helper: headless Chromium (Debian's, or $CHROMIUM) through playwright-core, with what a
// test run needs off (GPU, QUIC, background networking, updates, sync).
import { chromium } from 'playwright-core';

/** Launches the browser with `args` added to the usual ones; close it when done. */
export function launchChromium(args = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
  });
}
