// Where the shared store keeps things in Redis/Valkey. Every key starts with the cluster's
// prefix (`--cluster <name>` + ':'), so several clusters (or test runs) share one server.
//
//   <P>seq           global counter: every version below is a fresh INCR of it, so a key that
//                    expired and came back never repeats a version a node cached (no ABA)
//   <P>p:<aor>       hash: v = publications' version, p:<id> = PublicationRecord (msgpack);
//                    another package's publications under `p:<pkg> <aor>` (records.ts pubScope)
//   <P>s:<aor>       hash: w = watcher list's version, s:<tag> = SubscriptionRecord (msgpack)
//   <P>d:<tag>       hash: a = the dialog's AoR, n = the node that notifies it (its owner)
//   <P>o:<node>      set of the dialog tags a node owns (what a survivor adopts when it dies)
//   <P>r:<aor>       hash: v = bindings' version, b = BindingRecord[] (msgpack)
//   <P>l:<node>      hash: <tag> = a list subscription this node notifies (RFC 4662, msgpack);
//                    survivors adopt a dead node's lists, as its dialogs (redis-lists.ts)
//   <P>n:<node>      a node's lease (PX): the node is alive while it exists
//   <P>nodes         set of nodes that may own dialogs
//   <P>chg           pub/sub channel of change hints and dialog hand-over messages
// Keys holding records carry a PEXPIREAT at their last record's expiry (never shortened), so a
// presentity nobody holds any more disappears by itself.
export interface RedisKeys {
  readonly prefix: string;
  seq: string;
  pubs(aor: string): string;
  subs(aor: string): string;
  dialog(tag: string): string;
  owned(node: string): string;
  bindings(aor: string): string;
  lists(node: string): string;
  lease(node: string): string;
  nodes: string;
  channel: string;
}

export function redisKeys(cluster: string): RedisKeys {
  const P = `${cluster}:`;
  return {
    prefix: P,
    seq: `${P}seq`,
    pubs: (aor) => `${P}p:${aor}`,
    subs: (aor) => `${P}s:${aor}`,
    dialog: (tag) => `${P}d:${tag}`,
    owned: (node) => `${P}o:${node}`,
    bindings: (aor) => `${P}r:${aor}`,
    lists: (node) => `${P}l:${node}`,
    lease: (node) => `${P}n:${node}`,
    nodes: `${P}nodes`,
    channel: `${P}chg`,
  };
}
