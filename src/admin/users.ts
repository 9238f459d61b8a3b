// The users file as the admin API sees it: listed without hashes, added and removed with the
// same validation as `comsipl user`. The caller makes the running server reload afterwards.
import { addUser, checkAddUserInput, loadUsers, removeUser } from '../auth/users-file.js';
import { AdminError, type UserView } from './model.js';

export function listUsersIn(path: string): UserView[] {
  const users = loadUsers(path).users;
  return Object.keys(users).sort().map((aor) => ({ aor, realm: users[aor]!.realm, algorithms: Object.keys(users[aor]!.ha1) }));
}

export function addUserIn(path: string, aor: string, password: string, realm?: string): { created: boolean; aor: string; realm: string } {
  const at = aor.lastIndexOf('@');
  const input = { user: aor.slice(0, at), domain: aor.slice(at + 1), password, ...(realm !== undefined ? { realm } : {}) };
  const bad = at <= 0 ? `'${aor}' is not user@domain` : checkAddUserInput(input);
  if (bad !== null) throw new AdminError(400, bad);
  return addUser(path, input);
}

export function removeUserIn(path: string, aor: string): boolean {
  return removeUser(path, aor);
}

export function countUsersIn(path: string): number {
  try {
    return Object.keys(loadUsers(path).users).length;
  } catch {
    return 0;
  }
}
