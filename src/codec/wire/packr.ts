// The one msgpack configuration both sides of the worker boundary use for the parts of a read
// whose shape varies (a gate verdict, a parsed PIDF document, a parse failure): the fixed part
// of a message travels as an Int32 record in shared memory (workers/shared-slots.ts).
// msgpackr's record structures write repeated object shapes' keys once.
import { Packr } from 'msgpackr';

export const packr = new Packr({ useRecords: true, moreTypes: false, bundleStrings: false });
