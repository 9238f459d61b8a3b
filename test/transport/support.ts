// Small checks shared by the transport tests.
import { parseSource, sourceText, type Destination } from '../../src/transport/destination.js';

/** sourceText / parseSource agree for UDP (the 0.1 format) and connections, IPv4 and IPv6. */
export function destinationsAgree(): boolean {
  const cases: Destination[] = [
    { address: '127.0.0.1', port: 5060, family: 4 },
    { address: '::1', port: 5070, family: 6 },
    { address: '10.0.0.1', port: 40000, family: 4, transport: 'ws', flow: 12 },
    { address: 'fe80::1', port: 1, family: 6, transport: 'tcp', flow: 3 },
  ];
  return cases.every((d) => JSON.stringify(parseSource(sourceText(d))) === JSON.stringify(d)) && sourceText(cases[0]!) === '127.0.0.1 5060';
}
