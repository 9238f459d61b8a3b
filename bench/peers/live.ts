// Processes this kit started and that may still run (servers, their workers, SIPp instances):
// on SIGINT/SIGTERM the kit SIGKILLs exactly these pids before it exits, so that an interrupted
// run leaves nothing behind and touches nothing else.
const pids = new Set<number>();

export function track(pid: number): void {
  if (pid > 0) pids.add(pid);
}

export function untrack(pid: number): void {
  pids.delete(pid);
}

export function killAllStarted(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  pids.clear();
}
