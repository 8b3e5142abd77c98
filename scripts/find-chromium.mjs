#!/usr/bin/env node
// Finds a Chromium-family browser that can load an unpacked extension. Branded Google Chrome ≥ 137
// ignores --load-extension, so Debian's unbranded `chromium` comes first after CHROME_PATH.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];
const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium() {
  const env = process.env.CHROME_PATH;
  if (env) {
    if (existsSync(env)) return env;
    throw new Error(`CHROME_PATH is set to "${env}", but no file is there.`);
  }
  for (const p of CANDIDATES) if (existsSync(p)) return p;
  for (const name of ON_PATH) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not on PATH: try the next one
    }
  }
  throw new Error(
    'No Chromium found. Install one (Debian/Ubuntu: `sudo apt-get install -y chromium`) or set CHROME_PATH ' +
      'to a Chromium binary. Branded Google Chrome 137+ cannot load unpacked extensions from the command line.',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const path = findChromium();
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    console.log(`Using ${version} at ${path}`);
  } catch (err) {
    console.error(String(err instanceof Error ? err.message : err));
    process.exit(1);
  }
}
