// The renderer: {{name}} placeholders and nothing else, and where template files go.
import { describe, expect, it } from 'vitest';
import { outputPath, render } from '../src/render.js';

describe('render', () => {
  it('replaces placeholders, with or without inner spaces', () => {
    expect(render('export const {{transportName}} = { name: "{{ transportName }}" };', { transportName: 'Ipc' })).toBe('export const Ipc = { name: "Ipc" };');
  });

  it('refuses unknown placeholders and any other Handlebars syntax', () => {
    expect(() => render('{{nope}}', {}, 'a.hbs')).toThrow('a.hbs: unknown placeholder {{nope}}');
    expect(() => render('{{#if x}}y{{/if}}', { x: 'x' })).toThrow(/unsupported/);
    expect(() => render('{{{raw}}}', { raw: 'r' })).toThrow(/unsupported/);
  });
});

describe('outputPath', () => {
  it('drops .hbs, restores .gitignore and, given values, renders placeholders', () => {
    expect(outputPath('src/index.ts.hbs')).toBe('src/index.ts');
    expect(outputPath('src/remote.ts')).toBe('src/remote.ts');
    expect(outputPath('gitignore')).toBe('.gitignore');
    expect(outputPath('sub/gitignore')).toBe('sub/.gitignore');
    expect(outputPath('src/{{name}}.ts.hbs', { name: 'my-link' })).toBe('src/my-link.ts');
    expect(() => outputPath('src/{{other}}.ts.hbs', { name: 'my-link' })).toThrow(/unknown placeholder/);
  });
});
