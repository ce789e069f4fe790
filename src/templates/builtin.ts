// The built-in templates shipped in templates/: one folder per piece with
// template.json (name, purpose, locale, artwork, survey), layout.json (trim,
// bleed, safe area, pages and boxes) and texts/*.hbs (named Handlebars texts).
// A dealer starts from one of them and edits their own copy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPrintBody, templateBodySchema, type PrintBody } from './layout';

export const TEMPLATES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../templates');

export interface BuiltinTemplate {
  id: string;
  name: string;
  description: string;
  /** Body without asset ids (see assetFiles). */
  body: PrintBody;
  /** Artwork by name → file path. */
  assetFiles: Record<string, string>;
}

let cache: BuiltinTemplate[] | null = null;

function loadOne(dir: string, id: string): BuiltinTemplate {
  const meta = JSON.parse(readFileSync(join(dir, 'template.json'), 'utf8')) as {
    name: string;
    description: string;
    purpose: string;
    locale: string;
    assets?: Record<string, string>;
    survey?: unknown;
  };
  const layout = JSON.parse(readFileSync(join(dir, 'layout.json'), 'utf8')) as unknown;
  const texts: Record<string, string> = {};
  const textDir = join(dir, 'texts');
  if (existsSync(textDir)) {
    for (const f of readdirSync(textDir).sort()) {
      if (f.endsWith('.hbs')) texts[f.slice(0, -4)] = readFileSync(join(textDir, f), 'utf8').replace(/\n+$/, '');
    }
  }
  const parsed = templateBodySchema.safeParse({ purpose: meta.purpose, locale: meta.locale, layout, texts, survey: meta.survey, assets: {} });
  if (!parsed.success) {
    throw new Error(`built-in template ${id} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (!isPrintBody(parsed.data)) throw new Error(`built-in template ${id} has no layout`);
  const assetFiles: Record<string, string> = {};
  for (const [name, rel] of Object.entries(meta.assets ?? {})) assetFiles[name] = resolve(dir, rel);
  return { id, name: meta.name, description: meta.description, body: parsed.data as PrintBody, assetFiles };
}

export function builtinTemplates(): BuiltinTemplate[] {
  if (!cache) {
    cache = readdirSync(TEMPLATES_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(TEMPLATES_DIR, d.name, 'template.json')))
      .map((d) => loadOne(join(TEMPLATES_DIR, d.name), d.name))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
  return cache;
}

export function builtinTemplate(id: string): BuiltinTemplate | undefined {
  return builtinTemplates().find((t) => t.id === id);
}

/** The ICC output profile for the PDF/X-4 output intent. */
export function outputIntentProfile(): { profile: Uint8Array; identifier: string; info: string } {
  return {
    profile: readFileSync(join(TEMPLATES_DIR, 'print', 'FOGRA39L_coated.icc')),
    identifier: 'FOGRA39',
    info: 'Coated FOGRA39 (ISO 12647-2:2004/Amd 1:2007)',
  };
}
