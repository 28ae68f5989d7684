/**
 * The superuser's password on the first start of an empty data directory: KEEL_ADMIN_PASSWORD
 * when set, otherwise a generated one that is printed once (on stderr, not in the JSON log) and
 * stored in <data-dir>/admin-password with mode 0600 so that the operator can read it later.
 * Exports: resolveAdminPassword.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface AdminPassword {
  password: string;
  generated: boolean;
  storedAt: string | null;
}

export function resolveAdminPassword(dataDir: string, env: NodeJS.ProcessEnv): AdminPassword {
  const fromEnv = env.KEEL_ADMIN_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, generated: false, storedAt: null };
  const password = randomBytes(18).toString('base64url');
  const storedAt = path.join(dataDir, 'admin-password');
  writeFileSync(storedAt, `${password}\n`, { mode: 0o600, flag: 'wx' });
  process.stderr.write(
    [
      '',
      '  Keel initialized a new data directory.',
      `  Superuser: keel   Password: ${password}`,
      `  (shown once; also stored in ${storedAt}, mode 0600)`,
      '',
      '',
    ].join('\n'),
  );
  return { password, generated: true, storedAt };
}
