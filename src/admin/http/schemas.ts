// Input schemas of the admin API (zod): every query string, path parameter and JSON body is
// parsed through one of these before the model sees it. A failure becomes a 400 naming the
// field.
import { z } from 'zod';
import { HttpError } from './respond.js';

/** An AoR as operators type it: 'alice@example.com' or 'sip:alice@example.com'. */
export const Aor = z.string().min(3).max(512).regex(/^(?:sips?:)?[^\s@<>"]+@[^\s@<>";?]+$/, 'expected user@domain or sip:user@domain');
/** A watcher in an approval: an AoR or '*@domain' (every watcher of that domain). */
const WatcherAor = z.union([Aor, z.string().max(512).regex(/^\*@[^\s@<>";?]+$/, 'expected user@domain or *@domain')]);
const SubscriptionId = z.string().min(1).max(200).regex(/^[A-Za-z0-9._~+/=!%*'-]+$/, 'not a subscription id');
const Filter = z.string().min(1).max(256);

const PageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(4096).regex(/^[A-Za-z0-9_-]*$/, 'not a cursor').optional(),
};

export const RegistrationsQuery = z.strictObject({ ...PageQuery, aor: Filter.optional(), contact: Filter.optional() });
export const PresentitiesQuery = z.strictObject({
  ...PageQuery,
  aor: Filter.optional(),
  state: z.enum(['available', 'busy', 'away', 'on-the-phone', 'offline']).optional(),
  /** Include up to this many watchers per presentity (the board's cards). */
  watchers: z.coerce.number().int().min(0).max(100).default(0),
});
export const PageOnlyQuery = z.strictObject(PageQuery);
export const EmptyQuery = z.strictObject({});
export const AorParam = Aor;
export const SubscriptionParam = SubscriptionId;
export const EndQuery = z.strictObject({ reason: z.enum(['deactivated', 'probation', 'rejected', 'timeout', 'giveup', 'noresource']).default('deactivated') });
export const BindingQuery = z.strictObject({ contact: z.string().min(1).max(1024).optional() });

export const ApprovalBody = z.strictObject({
  presentity: Aor,
  watcher: WatcherAor,
  decision: z.enum(['approve', 'deny', 'polite-block']),
});
export const UserBody = z.strictObject({
  aor: z.string().min(3).max(512).regex(/^[^\s@:"\\<>]+@[A-Za-z0-9.[\]:-]+$/, 'expected user@domain'),
  password: z.string().min(1).max(4096),
  realm: z.string().min(1).max(256).optional(),
});

/** "field: message" for the first problems, short enough for one error line. */
export function describeIssues(err: z.ZodError): string {
  return err.issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join('.') : 'input'}: ${i.message}`).join('; ');
}

/** The input parsed by `schema`, or a 400 naming the field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new HttpError(400, `invalid ${what}: ${describeIssues(r.error)}`);
  return r.data;
}
