// Lets `npm start` and `npm test` work straight after a clone: install the locked
// dependencies once if node_modules is missing.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

if (!existsSync(new URL('../node_modules/.package-lock.json', import.meta.url))) {
  execSync('npm ci', { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
}
