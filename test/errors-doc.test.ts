// Keeps docs/errors.md and the error classes of @message-io/core in step: every error code has a
// `## ERR_...` section, and every such section names a code that exists.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from '@message-io/core';

/** A concrete error class exported by core. */
type ErrorClass = new (message: string) => core.MessageIoError;

/** Every exported class that extends MessageIoError (the base class itself excluded). */
function errorClasses(): [string, ErrorClass][] {
  const exported: [string, unknown][] = Object.entries(core);
  return exported.filter((entry): entry is [string, ErrorClass] => typeof entry[1] === 'function' && entry[1].prototype instanceof core.MessageIoError);
}

/** The codes that docs/errors.md documents: the text of every `## ERR_...` heading. */
function documentedCodes(): string[] {
  const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  return [...page.matchAll(/^## (ERR_[A-Z0-9_]+)[ \t]*$/gm)].map((match) => match[1]!);
}

/** The body of the `## code` section of docs/errors.md, up to the next `## ` heading. */
function sectionOf(code: string): string {
  const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const start = page.indexOf(`\n## ${code}\n`);
  if (start < 0) return '';
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start + code.length + 5, end < 0 ? undefined : end).trim();
}

describe('docs/errors.md', () => {
  const classes = errorClasses();
  const codes = classes.map(([, ErrorClass]) => new ErrorClass('x').code);

  it('finds the error classes of core', () => {
    expect(classes.length).toBeGreaterThan(0);
    expect(classes.map(([name]) => name)).toContain('InvalidAddressError');
  });

  it.each(classes)('%s has a stable ERR_ code, its own name, and the message it was given', (name, ErrorClass) => {
    const error = new ErrorClass('x');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(core.MessageIoError);
    expect(error.code).toMatch(/^ERR_[A-Z0-9_]+$/);
    expect(error.name).toBe(name);
    expect(error.message).toBe('x');
  });

  it('gives each class its own code', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('has exactly one section per error code, and no section for a code that does not exist', () => {
    const documented = documentedCodes();
    const undocumented = codes.filter((code) => !documented.includes(code)).sort();
    const unknown = documented.filter((code) => !codes.includes(code)).sort();
    expect({ undocumented, unknown }).toEqual({ undocumented: [], unknown: [] });
    expect(new Set(documented).size).toBe(documented.length);
  });

  it.each(codes.map((code) => [code]))('%s section says something', (code) => {
    expect(sectionOf(code).length).toBeGreaterThan(80);
  });
});
