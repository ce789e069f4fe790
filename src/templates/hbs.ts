// Handlebars for template text: one isolated environment with the product's
// helpers, and a static check of every template against the variables a piece
// provides, so a typo fails validation instead of printing blank on 5,000 cards.
import Handlebars from 'handlebars';
import { formatAddress } from '../contacts/normalize';

export type Locale = 'zh-CN' | 'en';

export interface AddressData {
  country: string | null;
  province: string | null;
  city: string | null;
  district: string | null;
  street: string | null;
  postcode: string | null;
}

/** What a piece's text can refer to. Every leaf is a string (or null). */
export interface PieceContext {
  contact: {
    name: string | null;
    surname: string | null;
    gender: string | null;
    title: string | null;
    kind: string;
    company: string | null;
    jobTitle: string | null;
    phone: string | null;
    email: string | null;
    language: string | null;
    birthday: string | null;
    club: string | null;
    tier: string | null;
    joinDate: string | null;
    address: AddressData;
    vehicle: {
      make: string | null;
      model: string | null;
      vin: string | null;
      purchaseDate: string | null;
      insuranceExpiry: string | null;
      lastServiceDate: string | null;
    };
  };
  dealer: {
    name: string;
    phone: string | null;
    website: string | null;
    hours: string | null;
    address: AddressData;
    reply: {
      /** Addressee of reply cards, e.g. 市场部 / Marketing Department. */
      department: string | null;
      name: string | null;
      address: AddressData;
      /** Business-reply permit number. */
      permit: string | null;
    };
  };
  campaign: { name: string | null; eventDate: string | null; offer: string | null };
  piece: { code: string; url: string };
}

type Shape = { [k: string]: Shape | true };

const ADDRESS: Shape = { country: true, province: true, city: true, district: true, street: true, postcode: true };
/** The variable tree templates are checked against (mirrors PieceContext). */
export const VARIABLES: Shape = {
  contact: {
    name: true, surname: true, gender: true, title: true, kind: true, company: true, jobTitle: true, phone: true,
    email: true, language: true, birthday: true, club: true, tier: true, joinDate: true, address: ADDRESS,
    vehicle: { make: true, model: true, vin: true, purchaseDate: true, insuranceExpiry: true, lastServiceDate: true },
  },
  dealer: {
    name: true, phone: true, website: true, hours: true, address: ADDRESS,
    reply: { department: true, name: true, address: ADDRESS, permit: true },
  },
  campaign: { name: true, eventDate: true, offer: true },
  piece: { code: true, url: true },
};

/** Roots whose values differ from piece to piece; text using them is drawn per page. */
export const PER_PIECE_ROOTS = new Set(['contact', 'piece']);
/** Helpers whose result depends on the piece even without arguments. */
const PER_PIECE_HELPERS = new Set(['salutation', 'trackingUrl', 'qr', 'address']);

const COMPOUND_SURNAMES = new Set(
  '欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 西门 百里 呼延 万俟 闻人 澹台 申屠 太史 仲孙 钟离 宗政 濮阳 淳于 单于 赫连 第五'.split(' '),
);

const HAN = /\p{Script=Han}/u;

/** Family name: the first character (or a compound surname) for Chinese names, the last word otherwise. */
export function surnameOf(name: string | null): string | null {
  const n = name?.trim();
  if (!n) return null;
  if (HAN.test(Array.from(n)[0]!)) {
    const two = Array.from(n).slice(0, 2).join('');
    if (COMPOUND_SURNAMES.has(two) && Array.from(n).length > 2) return two;
    return Array.from(n)[0]!;
  }
  const words = n.split(/\s+/);
  return words[words.length - 1]!;
}

const ZH_TITLES: Record<string, string> = { 'Mr.': '先生', 'Ms.': '女士', 'Mrs.': '女士', 'Miss': '女士', 'Dr.': '博士' };
const EN_TITLES: Record<string, string> = { 先生: 'Mr.', 女士: 'Ms.', 小姐: 'Ms.', 太太: 'Mrs.', 博士: 'Dr.' };

/** 王先生 / Mr. Wang / the company for corporate accounts; a neutral greeting when nothing is known. */
export function salutation(c: PieceContext['contact'], locale: Locale): string {
  if (c.kind === 'corporate' && c.company) return c.company;
  const surname = c.surname ?? surnameOf(c.name);
  if (locale === 'zh-CN') {
    if (!c.name) return '尊敬的客户';
    let title = c.title ? (ZH_TITLES[c.title] ?? c.title) : null;
    if (!title && c.gender) title = c.gender === 'female' ? '女士' : '先生';
    return title ? `${surname}${title}` : c.name;
  }
  if (!c.name) return 'Valued Customer';
  let title = c.title ? (EN_TITLES[c.title] ?? c.title) : null;
  if (!title && c.gender) title = c.gender === 'female' ? 'Ms.' : 'Mr.';
  return title ? `${title} ${surname}` : c.name;
}

const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A calendar date (YYYY-MM-DD) in the locale's long or short form. */
export function formatDate(value: string | null, locale: Locale, style: 'long' | 'short' | 'month-day' = 'long'): string {
  const m = value ? /^(\d{4})-(\d{2})-(\d{2})/.exec(value) : null;
  if (!m) return '';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (locale === 'zh-CN') {
    if (style === 'short') return `${y}/${mo}/${d}`;
    if (style === 'month-day') return `${mo}月${d}日`;
    return `${y}年${mo}月${d}日`;
  }
  if (style === 'short') return `${mo}/${d}/${y}`;
  if (style === 'month-day') return `${EN_MONTHS[mo - 1]} ${d}`;
  return `${EN_MONTHS[mo - 1]} ${d}, ${y}`;
}

function isAddress(v: unknown): v is AddressData {
  return typeof v === 'object' && v !== null && 'street' in v && 'postcode' in v;
}

export const HELPERS = ['salutation', 'date', 'address', 'trackingUrl', 'qr', 'eq', 'if', 'unless', 'with'] as const;
const HELPER_SET = new Set<string>(HELPERS);
/** How many arguments each helper takes: [min, max]. */
const ARITY: Record<string, [number, number]> = {
  salutation: [0, 1],
  date: [1, 2],
  address: [0, 1],
  trackingUrl: [0, 0],
  qr: [0, 0],
  eq: [2, 2],
};

interface HelperOptions {
  data: { root: PieceContext; locale: Locale };
  hash: Record<string, unknown>;
}

function createEnv(): typeof Handlebars {
  const env = Handlebars.create();
  env.registerHelper('salutation', function (this: unknown, ...args: unknown[]) {
    const opts = args[args.length - 1] as HelperOptions;
    const c = (args.length > 1 ? args[0] : opts.data.root.contact) as PieceContext['contact'];
    return salutation(c, opts.data.locale);
  });
  env.registerHelper('date', (...args: unknown[]) => {
    const opts = args.pop() as HelperOptions;
    const [value, style = 'long'] = args as [unknown, ('long' | 'short' | 'month-day')?];
    return formatDate(typeof value === 'string' ? value : null, opts.data.locale, style);
  });
  env.registerHelper('address', (...args: unknown[]) => {
    const opts = args[args.length - 1] as HelperOptions;
    const root = opts.data.root;
    const target = args.length > 1 ? args[0] : root.contact;
    const addr = isAddress(target) ? target : (target as { address?: AddressData } | undefined)?.address;
    // No street, no postal address: an empty block (a required box then flags the piece).
    if (!addr || !addr.country || !addr.street) return '';
    // "address contact" adds the recipient's name line; "address dealer.address" does not.
    const name =
      !isAddress(target) && target === root.contact
        ? opts.hash.name === false
          ? null
          : `${salutationForAddress(root.contact, opts.data.locale)}`
        : null;
    return formatAddress({ ...addr, country: addr.country }, name).join('\n');
  });
  env.registerHelper('trackingUrl', (...args: unknown[]) => (args[args.length - 1] as HelperOptions).data.root.piece.url);
  env.registerHelper('qr', (...args: unknown[]) => (args[args.length - 1] as HelperOptions).data.root.piece.url);
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  for (const h of ['log', 'lookup', 'each']) env.unregisterHelper(h);
  return env;
}

/** The recipient line of an address block: full name with title (王小明 先生 / Mr. John Smith), or the company. */
function salutationForAddress(c: PieceContext['contact'], locale: Locale): string {
  if (c.kind === 'corporate' && c.company) return c.name ? `${c.company} ${c.name}` : c.company;
  if (!c.name) return '';
  if (locale === 'zh-CN') {
    const t = c.title ? (ZH_TITLES[c.title] ?? c.title) : c.gender ? (c.gender === 'female' ? '女士' : '先生') : '';
    return t ? `${c.name} ${t}` : c.name;
  }
  const t = c.title ? (EN_TITLES[c.title] ?? c.title) : c.gender ? (c.gender === 'female' ? 'Ms.' : 'Mr.') : '';
  return t ? `${t} ${c.name}` : c.name;
}

const env = createEnv();

export type Render = (ctx: PieceContext, locale: Locale) => string;

export interface TemplateIssue {
  message: string;
  line?: number;
}

export interface Analysis {
  issues: TemplateIssue[];
  /** True when the output differs from piece to piece. */
  perPiece: boolean;
}

type AstNode = { type: string; loc?: { start: { line: number } } } & Record<string, unknown>;

function resolve(path: string[]): Shape | true | undefined {
  let cur: Shape | true = VARIABLES;
  for (const p of path) {
    if (cur === true) return undefined;
    const next: Shape | true | undefined = cur[p];
    if (next === undefined) return undefined;
    cur = next;
  }
  return cur;
}

/** Check a template's source: syntax, helpers, and variables against VARIABLES. */
export function analyze(source: string): Analysis {
  const issues: TemplateIssue[] = [];
  let perPiece = false;
  let ast: AstNode;
  try {
    ast = Handlebars.parse(source) as unknown as AstNode;
  } catch (e) {
    const msg = (e as Error).message.split('\n');
    const m = /line (\d+)/.exec(msg[0] ?? '') ?? /- (\d+):\d+\s*$/.exec(msg[0] ?? '');
    return { issues: [{ message: `syntax error: ${msg[0]}${msg.length > 3 ? ` (${msg[msg.length - 1]})` : ''}`, ...(m ? { line: Number(m[1]) } : {}) }], perPiece: false };
  }
  const scopes: string[][] = [[]];

  const checkPath = (node: AstNode, asValue: boolean): void => {
    const line = node.loc?.start.line;
    if (node.data) {
      const name = String(node.original);
      issues.push({ message: `unknown data variable "${name.startsWith('@') ? name : `@${name}`}"`, line });
      return;
    }
    const parts = node.parts as string[];
    const depth = node.depth as number;
    const base = scopes[Math.max(0, scopes.length - 1 - depth)] ?? [];
    const full = [...base, ...parts];
    if (full.length === 0) {
      if (asValue) issues.push({ message: 'the whole context cannot be printed', line });
      return;
    }
    if (PER_PIECE_ROOTS.has(full[0]!)) perPiece = true;
    const found = resolve(full);
    if (found === undefined) issues.push({ message: `unknown variable "${full.join('.')}"`, line });
    else if (found !== true && asValue) issues.push({ message: `"${full.join('.')}" is a group of fields, not a value`, line });
  };

  const visitExpr = (node: AstNode, asValue: boolean): void => {
    if (node.type === 'PathExpression') checkPath(node, asValue);
    else if (node.type === 'SubExpression') visitCall(node, false);
  };

  const visitCall = (node: AstNode, asValue: boolean): void => {
    const path = node.path as AstNode;
    const params = (node.params as AstNode[]) ?? [];
    const hash = node.hash as { pairs: { value: AstNode }[] } | undefined;
    const name = path.type === 'PathExpression' ? (path.original as string) : '';
    const isCall = params.length > 0 || (hash?.pairs.length ?? 0) > 0 || HELPER_SET.has(name);
    if (isCall) {
      if (!HELPER_SET.has(name) || name === 'if' || name === 'unless' || name === 'with') {
        issues.push({ message: `unknown helper "${name}"`, line: node.loc?.start.line });
      } else {
        if (PER_PIECE_HELPERS.has(name)) perPiece = true;
        const [min, max] = ARITY[name] ?? [0, 2];
        if (params.length < min || params.length > max)
          issues.push({ message: `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, not ${params.length}`, line: node.loc?.start.line });
      }
      for (const p of params) visitExpr(p, false);
      for (const pair of hash?.pairs ?? []) visitExpr(pair.value, false);
    } else {
      visitExpr(path, asValue);
    }
  };

  const visit = (node: AstNode): void => {
    switch (node.type) {
      case 'Program':
        for (const s of node.body as AstNode[]) visit(s);
        break;
      case 'MustacheStatement':
        visitCall(node, true);
        break;
      case 'BlockStatement': {
        const path = node.path as AstNode;
        const name = path.original as string;
        const params = (node.params as AstNode[]) ?? [];
        if (name !== 'if' && name !== 'unless' && name !== 'with') {
          issues.push({ message: `unknown block helper "${name}"`, line: node.loc?.start.line });
          break;
        }
        if (params.length !== 1) {
          issues.push({ message: `{{#${name}}} takes one argument`, line: node.loc?.start.line });
          break;
        }
        visitExpr(params[0]!, false);
        if (name === 'with' && params[0]!.type === 'PathExpression') {
          const p = params[0]!;
          const base = scopes[Math.max(0, scopes.length - 1 - (p.depth as number))] ?? [];
          scopes.push([...base, ...(p.parts as string[])]);
          visit(node.program as AstNode);
          scopes.pop();
        } else if (node.program) visit(node.program as AstNode);
        if (node.inverse) visit(node.inverse as AstNode);
        break;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
      case 'DecoratorBlock':
      case 'Decorator':
        issues.push({ message: 'partials and decorators are not supported', line: node.loc?.start.line });
        break;
      default:
        break;
    }
  };
  visit(ast);
  return { issues, perPiece };
}

/** Compile a checked template for an HTML part: every value is HTML-escaped. */
export function compileHtml(source: string): Render {
  const tpl = env.compile(source, {
    knownHelpers: Object.fromEntries(HELPERS.map((h) => [h, true])),
    knownHelpersOnly: true,
  });
  return (ctx, locale) => tpl(ctx, { data: { locale } as never });
}

/** Compile a checked template. Output is plain text (no HTML escaping): it is drawn, not parsed. */
export function compileText(source: string): Render {
  const tpl = env.compile(source, {
    noEscape: true,
    knownHelpers: Object.fromEntries(HELPERS.map((h) => [h, true])),
    knownHelpersOnly: true,
  });
  return (ctx, locale) => tpl(ctx, { data: { locale } as never });
}
