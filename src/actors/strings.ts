// The strings the actors keep for as long as a dialog lives: a million dialogs make every
// string's representation count.
//
// V8 hands out a substring as a slice that keeps its whole parent alive (the header it was
// cut from) and a concatenation as a tree of pieces; both cost more than the characters. What
// a dialog keeps is therefore copied once into a flat string of its own, and strings that many
// dialogs repeat (the source address) or that come from a short known list (the event
// package) are shared.

/**
 * A flat copy of `s` (no parent kept alive, no concatenation tree). JSON round-trips every
 * string exactly (lone surrogates included) and always builds a fresh sequential one.
 */
export function flat(s: string): string {
  return s.length === 0 ? '' : (JSON.parse(JSON.stringify(s)) as string);
}

const EVENTS = new Map(['presence', 'presence.winfo', 'dialog', 'message-summary', 'reg', 'conference', 'as-feature-event'].map((e) => [e, e]));

/** The one copy of a known event package name (one per presentity otherwise). */
export function internEvent(event: string): string {
  return EVENTS.get(event) ?? flat(event);
}

/** Source addresses repeat across many dialogs (a proxy, a NAT): keep one copy of each. */
export class Interner {
  #map = new Map<string, string>();

  get(s: string): string {
    const known = this.#map.get(s);
    if (known !== undefined) return known;
    if (this.#map.size >= 200_000) this.#map = new Map();
    const kept = flat(s);
    this.#map.set(kept, kept);
    return kept;
  }
}
