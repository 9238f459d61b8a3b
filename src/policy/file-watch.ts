// Debounced change notification for one small file (users.json, rules.json).
//
// API:
//   watchFile(path: string, onChange: () => void, debounceMs = 200): { close(): void } | null
//
// The DIRECTORY is watched, not the file: the CLIs replace files by rename (atomic-write.ts),
// after which a watch on the old inode would see nothing more. Editors and renames fire
// several events per save, so calls are collapsed into one, `debounceMs` after the last event.
// fs.watch is best effort (inotify on Linux; some network file systems never report), which
// is why SIGHUP exists as the explicit way to reload. null when the directory cannot be watched.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export function watchFile(path: string, onChange: () => void, debounceMs = 200): { close(): void } | null {
  const name = basename(path);
  let timer: NodeJS.Timeout | null = null;
  let w: FSWatcher;
  try {
    w = watch(dirname(path), { persistent: false }, (_event, file) => {
      // Some platforms give no file name; then any change in the directory counts.
      if (file !== null && file !== name) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        onChange();
      }, debounceMs);
      timer.unref();
    });
  } catch {
    return null;
  }
  w.on('error', () => w.close());
  return {
    close(): void {
      if (timer !== null) clearTimeout(timer);
      w.close();
    },
  };
}
