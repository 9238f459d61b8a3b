// The RFC 1123 date of the Date header (RFC 3261 §20.17), formatted once per second.
let second = -1;
let text = '';

export function httpDate(nowMs: number): string {
  const s = Math.floor(nowMs / 1000);
  if (s !== second) {
    second = s;
    text = new Date(s * 1000).toUTCString();
  }
  return text;
}
