// What travels on the group's channel: short text lines, fields separated by '\n' (no field can
// hold one: AoRs, tags and node ids are URI characters or tokens).
//  - change hints, published by the COMMIT script in the same atomic step as the change:
//      p <aor> <version> <node>   publications of <aor> are at <version> now
//      r <aor> <version> <node>   bindings of <aor>
//      w <aor> <version> <node>   the watcher list of <aor> changed
//  - dialog hand-over between live nodes:
//      h <tag> <owner> <asker>    <asker> wants to notify dialog <tag>, notified by <owner>
//      H <tag> <asker> <1|0>      <owner> has (1) or has not (0) handed it to <asker>
// Pub/sub loses what is sent while a node is disconnected: hints are only hints, and every
// node compares versions after a reconnect and at a steady pace (repair.ts).
export type ChannelMsg =
  | { t: 'hint'; kind: 'p' | 'r' | 'w'; aor: string; rev: number; node: string }
  | { t: 'ask'; tag: string; owner: string; asker: string }
  | { t: 'answer'; tag: string; asker: string; ok: boolean };

export function parseChannelMsg(text: string): ChannelMsg | null {
  const f = text.split('\n');
  if (f.length !== 4) return null;
  const [k, a, b, c] = f as [string, string, string, string];
  switch (k) {
    case 'p':
    case 'r':
    case 'w': {
      const rev = Number(b);
      return Number.isSafeInteger(rev) ? { t: 'hint', kind: k, aor: a, rev, node: c } : null;
    }
    case 'h':
      return { t: 'ask', tag: a, owner: b, asker: c };
    case 'H':
      return { t: 'answer', tag: a, asker: b, ok: c === '1' };
    default:
      return null;
  }
}

export const askText = (tag: string, owner: string, asker: string): string => `h\n${tag}\n${owner}\n${asker}`;
export const answerText = (tag: string, asker: string, ok: boolean): string => `H\n${tag}\n${asker}\n${ok ? '1' : '0'}`;
