// A throw-away certificate for the TLS and WSS tests, made with the openssl command line
// (Debian's openssl; .ci/run installs it): EC P-256, for 127.0.0.1 and localhost, one day.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert { dir: string; cert: string; key: string }

export function makeCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-cert-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore', timeout: 30_000 });
  return { dir, cert, key };
}
