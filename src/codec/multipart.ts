// multipart/related bodies (RFC 2046 §5.1, RFC 2387) for list NOTIFYs (RFC 4662 §5.1), written
// in the one form every client we know parses: the body starts with the dash-boundary (no
// preamble), every delimiter is CRLF + "--" + boundary, part headers end with an empty line,
// the close delimiter is followed by CRLF and nothing else, and the boundary parameter is a bare
// token. liblinphone 5.1 (belle-sip) keeps quotes as part of a quoted boundary and then crashes
// (shared/fixtures/clients/README.md), so the boundary is never quoted; it also finds parts by a
// header named exactly `Content-Id` whose raw value equals the RLMI `cid`, hence that spelling
// and no angle brackets.
// A small reader for the same form is here too (tests, fuzzing, tools).

export interface MimePart {
  /** Header lines, each `Name: value\r\n`. */
  headers: string;
  body: Buffer;
}

/** Boundary characters: RFC 2046 bcharsnospace minus what needs quoting. */
export const BOUNDARY_RE = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;

export function multipartRelatedType(boundary: string, rootType: string, startCid: string): string {
  if (!BOUNDARY_RE.test(boundary) || /[:=?/]/.test(boundary)) throw new RangeError('boundary must be a bare token');
  return `multipart/related;type="${rootType}";start="<${startCid}>";boundary=${boundary}`;
}

export function renderMultipart(boundary: string, parts: readonly MimePart[]): Buffer {
  const dash = `--${boundary}`;
  const chunks: Buffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    chunks.push(Buffer.from(`${i === 0 ? '' : '\r\n'}${dash}\r\n${parts[i]!.headers}\r\n`, 'utf8'), parts[i]!.body);
  }
  chunks.push(Buffer.from(`\r\n${dash}--\r\n`, 'utf8'));
  return Buffer.concat(chunks);
}

export interface ReadPart {
  headers: Map<string, string>;
  body: Buffer;
}

/** The boundary parameter of a Content-Type value (quoted or not), or null. */
export function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s"]{1,70}))/i.exec(contentType);
  return m === null ? null : (m[1] ?? m[2]!);
}

/** Splits a multipart body; null when it is not well formed (RFC 2046 §5.1.1). */
export function readMultipart(body: Buffer, boundary: string, maxParts = 10_000): ReadPart[] | null {
  const dash = Buffer.from(`--${boundary}`);
  const delim = Buffer.from(`\r\n--${boundary}`);
  let at: number;
  if (body.subarray(0, dash.length).equals(dash)) at = dash.length;
  else {
    const p = body.indexOf(delim);
    if (p < 0) return null;
    at = p + delim.length;
  }
  const parts: ReadPart[] = [];
  for (;;) {
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // close delimiter
    // transport padding, then CRLF
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) return null;
    at += 2;
    const next = body.indexOf(delim, at);
    if (next < 0 || parts.length >= maxParts) return null;
    const part = body.subarray(at, next);
    const blank = part.indexOf('\r\n\r\n');
    const headers = new Map<string, string>();
    let content: Buffer;
    if (part.subarray(0, 2).toString() === '\r\n') content = part.subarray(2);
    else if (blank < 0) return null;
    else {
      for (const line of part.subarray(0, blank).toString('utf8').split('\r\n')) {
        const c = line.indexOf(':');
        if (c <= 0) return null;
        headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
      }
      content = part.subarray(blank + 4);
    }
    parts.push({ headers, body: content });
    at = next + delim.length;
  }
}
