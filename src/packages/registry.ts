// The registry of event packages: the one place the server learns which packages exist, and
// where `Allow-Events` (RFC 6665 §8.2.2), the `Accept` of 415 and OPTIONS answers, and the
// choice between 489 and a package come from. Built once at boot from the config.
import type { StateRules } from '../actors/state-rules.js';
import { PRESENCE_RULES } from '../actors/state-rules.js';
import type { DialogComposeOptions } from '../codec/dialog-info/compose.js';
import { dialogPackage } from './dialog.js';
import { presencePackage } from './presence.js';
import { presenceWinfoPackage } from './presence-winfo.js';
import type { EventPackage } from './types.js';

export interface PackageOptions {
  dialog: DialogComposeOptions;
}

export class PackageRegistry {
  readonly #byName = new Map<string, EventPackage>();
  /** The Allow-Events value. */
  readonly allowEvents: string;
  /** Every body type accepted in PUBLISH (the OPTIONS Accept). */
  readonly publishTypes: string;

  constructor(packages: readonly EventPackage[]) {
    for (const p of packages) this.#byName.set(p.name, p);
    this.allowEvents = packages.map((p) => p.name).join(', ');
    this.publishTypes = [...new Set(packages.flatMap((p) => p.publishTypes))].join(', ');
  }

  get(name: string): EventPackage | undefined {
    return this.#byName.get(name);
  }

  /** The package of an Event token whose state a presentity actor holds (for the actor's key). */
  stateOf(event: string): string {
    return this.#byName.get(event)?.stateOf ?? event;
  }

  /** The actor-side rules of a state package. */
  rules(pkg: string): StateRules {
    return this.#byName.get(pkg)?.rules ?? PRESENCE_RULES;
  }
}

export const DEFAULT_PACKAGE_OPTIONS: PackageOptions = Object.freeze({ dialog: { single: false, dummy: false } });

export function buildRegistry(opts: PackageOptions = DEFAULT_PACKAGE_OPTIONS): PackageRegistry {
  return new PackageRegistry([presencePackage, presenceWinfoPackage, dialogPackage(opts.dialog)]);
}
