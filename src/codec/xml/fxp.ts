// fast-xml-parser, loaded on the first XML body that needs it (a PIDF the fast reader declines,
// a dialog-info or resource-list document): a server answers its first requests without
// compiling the library, and most PIDF never reach it (src/codec/pidf/fast-reader.ts).
import { createRequire } from 'node:module';
import type { X2jOptions, XMLParser, validationOptions, ValidationError } from 'fast-xml-parser';

type Fxp = typeof import('fast-xml-parser');

let fxp: Fxp | null = null;

function load(): Fxp {
  fxp ??= createRequire(import.meta.url)('fast-xml-parser') as Fxp;
  return fxp;
}

/** One parser with fixed options, made on its first use. */
export function lazyParser(options: X2jOptions): () => XMLParser {
  let parser: XMLParser | null = null;
  return () => (parser ??= new (load().XMLParser)(options));
}

/** XMLValidator.validate: true or the first well-formedness error. */
export function validateXml(text: string, options: Partial<validationOptions>): true | ValidationError {
  return load().XMLValidator.validate(text, options);
}
