// Pure normalizers for imported contact lists. They run once per cell on
// lists of up to ~1M rows, so every function checks a cheap pre-compiled
// regex first and only does allocating work when the input needs it.

import { hash64 } from '../lib/hash';
import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js/max';

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(reason: string): Result<T> => ({ ok: false, reason });

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

const FULL_WIDTH_TEST = /[\uFF01-\uFF5E\u3000]/;
const FULL_WIDTH_G = /[\uFF01-\uFF5E\u3000]/g;

const halfWidthChar = (c: string): string =>
  c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0);

export function toHalfWidth(s: string): string {
  if (!FULL_WIDTH_TEST.test(s)) return s;
  return s.replace(FULL_WIDTH_G, halfWidthChar);
}

// Anything that would make cleanText do real work: full-width chars,
// invisible/control chars, non-space whitespace, or doubled whitespace.
const DIRTY_TEXT = /[\uFF01-\uFF5E\u3000\u200B-\u200D\u2060\uFEFF\u0000-\u001F\u007F-\u009F]|[^\S ]|\s\s/;
// Control chars that are not whitespace; whitespace ones become spaces below.
const INVISIBLE_G = /[\u200B-\u200D\u2060\uFEFF\u0000-\u0008\u000E-\u001F\u007F-\u009F]/g;
const WHITESPACE_RUN_G = /\s+/g;

export function cleanText(s: string | null | undefined): string | null {
  if (s == null) return null;
  let t = s;
  if (DIRTY_TEXT.test(t)) {
    t = toHalfWidth(t).replace(INVISIBLE_G, '').replace(WHITESPACE_RUN_G, ' ');
  }
  t = t.trim();
  return t === '' ? null : t;
}

// ---------------------------------------------------------------------------
// Phone
// ---------------------------------------------------------------------------

// Visual separators people type inside numbers (incl. Unicode dashes).
const PHONE_SEP_G = /[\s\-.()\u00A0\u2010-\u2015\u2212]/g;
const CN_MOBILE_PREFIXED = /^(?:\+86|0086|86)(1[3-9]\d{9})$/;
const CN_MOBILE = /^1[3-9]\d{9}$/;
const NANP_PLUS = /^\+1([2-9]\d{2}[2-9]\d{6})$/;
const NANP_LOCAL = /^1?([2-9]\d{2}[2-9]\d{6})$/;
const PHONE_EXT = /(?:extension|ext|x|转|分机|#):?\d{1,6}$/i;
const PHONE_CHARS = /^\+?\d+$/;

// The overwhelming majority of rows are CN mobiles or NANP numbers; these
// are recognised without touching libphonenumber.
function fastPhone(s: string, country: string): string | null {
  if (country === 'CN' && CN_MOBILE.test(s)) return '+86' + s;
  let m = CN_MOBILE_PREFIXED.exec(s);
  if (m) return '+86' + m[1];
  m = NANP_PLUS.exec(s);
  if (m) return '+1' + m[1];
  if (country === 'US') {
    m = NANP_LOCAL.exec(s);
    if (m) return '+1' + m[1];
  }
  return null;
}

export function normalizePhone(raw: string, defaultCountry: string): Result<string> {
  const country = defaultCountry.toUpperCase();
  let s = toHalfWidth(raw).replace(PHONE_SEP_G, '');
  if (s === '') return fail('phone number is empty');
  let fast = fastPhone(s, country);
  if (fast !== null) return ok(fast);

  if (!PHONE_CHARS.test(s)) {
    // Extensions ("ext. 12", "转12") cannot be dialled from a campaign; drop them.
    s = s.replace(PHONE_EXT, '');
    if (!PHONE_CHARS.test(s)) return fail('phone number contains invalid characters');
    fast = fastPhone(s, country);
    if (fast !== null) return ok(fast);
  }
  const digits = s.charCodeAt(0) === 43 /* + */ ? s.length - 1 : s.length;
  if (digits < 7) return fail('phone number has too few digits');
  if (digits > 17) return fail('phone number has too many digits');

  // "00" is the international prefix almost everywhere; NANP uses "011".
  if (s.startsWith('00')) s = '+' + s.slice(2);
  else if ((country === 'US' || country === 'CA') && s.startsWith('011')) s = '+' + s.slice(3);

  if (s.charCodeAt(0) !== 43 && !isSupportedCountry(country)) {
    return fail(`unsupported country ${country}`);
  }
  const parsed = parsePhoneNumberFromString(s, country as CountryCode);
  if (!parsed || !parsed.isValid()) {
    return fail(`not a valid phone number for ${parsed?.country ?? country}`);
  }
  return ok(parsed.number);
}

// ---------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------

const MAILTO = /^mailto:/i;
const IDEOGRAPHIC_FULL_STOP_G = /\u3002/g;

export function normalizeEmail(raw: string): Result<string> {
  let s = cleanText(raw);
  if (s === null) return fail('email is empty');
  if (MAILTO.test(s)) s = s.slice(7).trim();
  // Chinese IMEs often produce "。" where a dot was meant.
  if (s.includes('\u3002')) s = s.replace(IDEOGRAPHIC_FULL_STOP_G, '.');
  s = s.toLowerCase();
  if (s === '') return fail('email is empty');
  if (s.length > 254) return fail('email is too long');
  if (s.includes(' ')) return fail('email must not contain spaces');
  const at = s.indexOf('@');
  if (at < 0 || at !== s.lastIndexOf('@')) return fail('email must contain exactly one @');
  if (at === 0) return fail('email is missing the part before @');
  const domain = s.slice(at + 1);
  if (!domain.includes('.')) return fail('email domain must contain a dot');
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) {
    return fail('email domain is malformed');
  }
  return ok(s);
}

// ---------------------------------------------------------------------------
// Postcode
// ---------------------------------------------------------------------------

const ALL_WHITESPACE_G = /\s+/g;
const CN_POSTCODE = /^\d{6}$/;
const US_ZIP = /^(\d{5})(?:[- ]?(\d{4}))?$/;
const US_ZIP_LOST_ZERO = /^\d{4}$|^\d{8}$/;
const GENERIC_POSTCODE = /^[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]$/;

export function normalizePostcode(raw: string, country: string): Result<string> {
  const c = country.toUpperCase();
  const s = cleanText(raw);
  if (s === null) return fail('postcode is empty');
  if (c === 'CN') {
    const t = s.replace(ALL_WHITESPACE_G, '');
    return CN_POSTCODE.test(t) ? ok(t) : fail('postcode must be 6 digits for CN');
  }
  if (c === 'US') {
    // Spreadsheets drop the leading zero of New England ZIPs (02134 → 2134).
    const t = US_ZIP_LOST_ZERO.test(s) ? '0' + s : s;
    const m = US_ZIP.exec(t);
    if (!m) return fail('postcode must be 5 digits or ZIP+4 for US');
    return ok(m[2] ? `${m[1]}-${m[2]}` : (m[1] as string));
  }
  const t = s.toUpperCase();
  return GENERIC_POSTCODE.test(t) ? ok(t) : fail(`postcode is not valid for ${c}`);
}

// ---------------------------------------------------------------------------
// Address
// ---------------------------------------------------------------------------

export type PostalAddress = {
  country: string;
  province: string | null;
  city: string | null;
  district: string | null;
  street: string | null;
  postcode: string | null;
};

const MUNICIPALITIES = ['北京', '上海', '天津', '重庆'];
const PROVINCES = [
  '河北', '山西', '辽宁', '吉林', '黑龙江', '江苏', '浙江', '安徽', '福建', '江西', '山东',
  '河南', '湖北', '湖南', '广东', '海南', '四川', '贵州', '云南', '陕西', '甘肃', '青海', '台湾',
];
const AUTONOMOUS_REGIONS: Record<string, string> = {
  内蒙古: '内蒙古自治区',
  广西: '广西壮族自治区',
  西藏: '西藏自治区',
  宁夏: '宁夏回族自治区',
  新疆: '新疆维吾尔自治区',
};
const SARS: Record<string, string> = { 香港: '香港特别行政区', 澳门: '澳门特别行政区' };
const MUNICIPALITY_NAMES = new Set(MUNICIPALITIES.map((m) => m + '市'));

// Short-to-canonical lookup, e.g. 福建 → 福建省, 广西 → 广西壮族自治区.
const PROVINCE_CANONICAL = new Map<string, string>();
for (const p of MUNICIPALITIES) PROVINCE_CANONICAL.set(p, p + '市');
for (const p of PROVINCES) PROVINCE_CANONICAL.set(p, p + '省');
for (const [k, v] of Object.entries(AUTONOMOUS_REGIONS)) PROVINCE_CANONICAL.set(k, v);
for (const [k, v] of Object.entries(SARS)) PROVINCE_CANONICAL.set(k, v);

for (const v of [...PROVINCE_CANONICAL.values()]) PROVINCE_CANONICAL.set(v, v);
const PROVINCE_RE = new RegExp(
  '^(?:' + [...PROVINCE_CANONICAL.keys()].sort((a, b) => b.length - a.length).join('|') + ')',
);
// A bare short name followed by one of these is a city/prefecture, not the
// province (吉林市 is a city in 吉林省; 海南藏族自治州 is in 青海).
const NOT_PROVINCE_AFTER_SHORT = /^(?:市|州|县|区|盟|旗|地区|藏族)/;
// Name characters exclude digits and street words so a street such as
// 五四路123号小区 is never mistaken for a city or district.
const CITY_RE = /^([^\d路街号巷弄市区县]{1,12}?(?:自治州|地区|盟|市))/;
const DISTRICT_RE = /^([^\d路街号巷弄市区县旗]{1,10}?(?:自治县|自治旗|新区|区|县|市|旗))/;
const CN_LEADING_JUNK = /^(?:(\d{6})\s*)?(?:中华人民共和国|中国)?[\s,，、]*(?:(\d{6})\s*)?/;
const CN_TRAILING_POSTCODE = /(?<!\d)[\s,，、]*(?:邮编[:：]?\s*)?(\d{6})$/;
// Spaces next to CJK characters carry no meaning in Chinese addresses.
const CJK_ADJACENT_SPACE_G = /\s+(?=[^\x00-\x7F])|(?<=[^\x00-\x7F])\s+/g;
const SEGMENT_PUNCT = /^[\s,，、]+/;

type ParsedAddress = Omit<PostalAddress, 'postcode'> & { postcode: string | null };

function parseCnAddress(text: string, country: string): ParsedAddress {
  let s = text.replace(CJK_ADJACENT_SPACE_G, '');
  let postcode: string | null = null;
  const lead = CN_LEADING_JUNK.exec(s);
  if (lead && lead[0] !== '') {
    postcode = lead[1] ?? lead[2] ?? null;
    s = s.slice(lead[0].length);
  }
  const trail = CN_TRAILING_POSTCODE.exec(s);
  if (trail && trail.index > 0) {
    postcode ??= trail[1] ?? null;
    s = s.slice(0, trail.index);
  }

  let province: string | null = null;
  let city: string | null = null;
  let district: string | null = null;

  const pm = PROVINCE_RE.exec(s);
  if (pm) {
    const matched = pm[0];
    const canonical = PROVINCE_CANONICAL.get(matched) ?? matched;
    const rest = s.slice(matched.length);
    if (matched === canonical || !NOT_PROVINCE_AFTER_SHORT.test(rest)) {
      province = canonical;
      s = rest.replace(SEGMENT_PUNCT, '');
      if (MUNICIPALITY_NAMES.has(canonical)) {
        city = canonical;
        // Tolerate "北京市北京市朝阳区" and "上海市市辖区".
        const short = canonical.slice(0, -1);
        if (s.startsWith(canonical)) s = s.slice(canonical.length);
        else if (s.startsWith(short)) s = s.slice(short.length);
        if (s.startsWith('市辖区')) s = s.slice(3);
        s = s.replace(SEGMENT_PUNCT, '');
      }
    }
  }

  if (city === null) {
    const cm = CITY_RE.exec(s);
    if (cm) {
      city = cm[1] as string;
      s = s.slice(city.length).replace(SEGMENT_PUNCT, '');
    }
  }
  if (province !== null || city !== null) {
    const dm = DISTRICT_RE.exec(s);
    if (dm) {
      district = dm[1] as string;
      s = s.slice(district.length).replace(SEGMENT_PUNCT, '');
    }
  }
  return { country, province, city, district, street: s === '' ? null : s, postcode };
}

const US_STATES: Record<string, string> = {
  alabama: 'AL', alaska: 'AK', arizona: 'AZ', arkansas: 'AR', california: 'CA',
  colorado: 'CO', connecticut: 'CT', delaware: 'DE', 'district of columbia': 'DC',
  florida: 'FL', georgia: 'GA', hawaii: 'HI', idaho: 'ID', illinois: 'IL', indiana: 'IN',
  iowa: 'IA', kansas: 'KS', kentucky: 'KY', louisiana: 'LA', maine: 'ME', maryland: 'MD',
  massachusetts: 'MA', michigan: 'MI', minnesota: 'MN', mississippi: 'MS', missouri: 'MO',
  montana: 'MT', nebraska: 'NE', nevada: 'NV', 'new hampshire': 'NH', 'new jersey': 'NJ',
  'new mexico': 'NM', 'new york': 'NY', 'north carolina': 'NC', 'north dakota': 'ND',
  ohio: 'OH', oklahoma: 'OK', oregon: 'OR', pennsylvania: 'PA', 'rhode island': 'RI',
  'south carolina': 'SC', 'south dakota': 'SD', tennessee: 'TN', texas: 'TX', utah: 'UT',
  vermont: 'VT', virginia: 'VA', washington: 'WA', 'west virginia': 'WV', wisconsin: 'WI',
  wyoming: 'WY', 'puerto rico': 'PR', guam: 'GU', 'virgin islands': 'VI',
  'american samoa': 'AS', 'northern mariana islands': 'MP',
};
const US_STATE_CODES = new Set([...Object.values(US_STATES), 'AA', 'AE', 'AP']);
const US_STATE_NAMES_SRC = Object.keys(US_STATES)
  .sort((a, b) => b.length - a.length)
  .map((n) => n.replace(/ /g, '\\s+'))
  .join('|');
// "<rest>[,] <STATE>[.] [ZIP]" at the end of the line.
const US_TAIL_RE = new RegExp(
  `^(.*?)[\\s,]+(${US_STATE_NAMES_SRC}|[A-Za-z]{2})\\.?(?:[\\s,]+(\\d{5}(?:[-\\s]?\\d{4})?))?$`,
  'i',
);
const US_COUNTRY_SUFFIX = /[\s,]+(?:U\.?S\.?A?\.?|United States(?: of America)?)$/i;
const US_ZIP_ONLY_TAIL = /^(.*?)[\s,]+(\d{5}(?:-\d{4})?)$/;
// Where a comma-less street ends: a street-type word or a unit with its number.
const US_STREET_END_RE =
  /^(.*\b(?:(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|pl|place|way|ter|terrace|hwy|highway|pkwy|parkway|cir|circle|sq|square|trl|trail|loop|plz|plaza)\.?(?:\s+[nsew]{1,2}\.?)?(?:\s+(?:apt|apartment|unit|ste|suite|fl|floor|rm|room|bldg)\.?\s*#?\s*[\w-]+|\s+#\s*[\w-]+)?))\s+(.+)$/i;

function parseUsAddress(text: string, country: string): ParsedAddress {
  const s = text.replace(US_COUNTRY_SUFFIX, '');
  const m = US_TAIL_RE.exec(s);
  let state: string | null = null;
  if (m) {
    const token = (m[2] as string).replace(/\s+/g, ' ').toLowerCase();
    state = US_STATES[token] ?? (US_STATE_CODES.has(token.toUpperCase()) ? token.toUpperCase() : null);
  }
  if (!m || state === null) {
    const z = US_ZIP_ONLY_TAIL.exec(s);
    if (z) {
      return { country, province: null, city: null, district: null, street: z[1] || null, postcode: normalizeZip(z[2] as string) };
    }
    return { country, province: null, city: null, district: null, street: s || null, postcode: null };
  }
  const postcode = m[3] ? normalizeZip(m[3]) : null;
  const head = (m[1] as string).replace(/,\s*$/, '');
  const comma = head.lastIndexOf(',');
  let street: string | null;
  let city: string | null;
  if (comma >= 0) {
    street = head.slice(0, comma).trim() || null;
    city = head.slice(comma + 1).trim() || null;
  } else {
    const sm = US_STREET_END_RE.exec(head);
    street = sm ? (sm[1] as string) : head || null;
    city = sm ? (sm[2] as string) : null;
  }
  return { country, province: state, city, district: null, street, postcode };
}

function normalizeZip(z: string): string {
  const r = normalizePostcode(z, 'US');
  return r.ok ? r.value : z;
}

export function parseAddress(raw: string, country: string): ParsedAddress {
  const c = country.toUpperCase();
  const s = cleanText(raw);
  if (s === null) {
    return { country: c, province: null, city: null, district: null, street: null, postcode: null };
  }
  if (c === 'CN') return parseCnAddress(s, c);
  if (c === 'US') return parseUsAddress(s, c);
  return { country: c, province: null, city: null, district: null, street: s, postcode: null };
}

export function formatAddress(a: PostalAddress, name?: string | null): string[] {
  const lines: string[] = [];
  const push = (v: string | null | undefined): void => {
    const t = v?.trim();
    if (t) lines.push(t);
  };
  const n = name?.trim() || null;
  const country = a.country.toUpperCase();
  if (country === 'CN') {
    push(a.postcode);
    const city = a.city !== null && a.city === a.province ? null : a.city;
    push([a.province, city, a.district, a.street].filter((x) => x).join(''));
    push(n);
    return lines;
  }
  if (country === 'US') {
    push(n);
    push(a.street);
    const stateZip = [a.province, a.postcode].filter((x) => x).join(' ');
    push(a.city && stateZip ? `${a.city}, ${stateZip}` : a.city || stateZip);
    return lines;
  }
  push(n);
  push(a.street);
  push([a.postcode, a.city].filter((x) => x).join(' '));
  push(a.province);
  push(a.country);
  return lines;
}

// ---------------------------------------------------------------------------
// Dedup keys
// ---------------------------------------------------------------------------

const TRADITIONAL: Record<string, string> = { 號: '号', 區: '区', 縣: '县', 樓: '楼', 層: '层', 棟: '栋', 門: '门' };
const TRADITIONAL_TEST = /[號區縣樓層棟門]/;
const TRADITIONAL_G = /[號區縣樓層棟門]/g;
const STREET_WORDS: Record<string, string> = {
  street: 'st', avenue: 'ave', av: 'ave', road: 'rd', boulevard: 'blvd', drive: 'dr',
  lane: 'ln', court: 'ct', place: 'pl', terrace: 'ter', highway: 'hwy', parkway: 'pkwy',
  circle: 'cir', square: 'sq', trail: 'trl', plaza: 'plz',
  north: 'n', south: 's', east: 'e', west: 'w',
  northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
  apartment: 'apt', unit: 'apt', suite: 'ste', floor: 'fl', building: 'bldg', room: 'rm',
};
const STREET_WORDS_G = new RegExp(`\\b(?:${Object.keys(STREET_WORDS).join('|')})\\b`, 'g');
const PO_BOX_G = /\bp\.?\s*o\.?\s*box\b/g;
const HASH_UNIT_G = /#/g;
// "Apt #4" / "Suite #200": the hash only repeats the unit word.
const APT_HASH_G = /\b(apt|ste|rm|fl)[\s.]*apt\b/g;
const STRIP_KEY_G = /[\s\p{P}\p{S}]+/gu;

function keyPart(v: string | null): string {
  if (v === null) return '';
  let s = toHalfWidth(v).toLowerCase();
  if (TRADITIONAL_TEST.test(s)) s = s.replace(TRADITIONAL_G, (c) => TRADITIONAL[c] ?? c);
  s = s
    .replace(PO_BOX_G, ' pobox ')
    .replace(STREET_WORDS_G, (w) => STREET_WORDS[w] ?? w)
    .replace(HASH_UNIT_G, ' apt ')
    .replace(APT_HASH_G, '$1');
  return s.replace(STRIP_KEY_G, '');
}

export function householdKey(a: PostalAddress): string | null {
  if (a.street === null) return null;
  const street = keyPart(a.street);
  if (street === '') return null;
  return [
    a.country.toLowerCase(),
    // No postcode: lists often omit it, and the street and city already place the household.
    keyPart(a.province),
    keyPart(a.city),
    keyPart(a.district),
    street,
  ].join('|');
}

/**
 * The household id stored and indexed: a 64-bit hash of householdKey, short
 * enough to index cheaply. Two different addresses colliding is ~1 in 10^10
 * for a million households.
 */
export function householdId(a: PostalAddress): string | null {
  const k = householdKey(a);
  return k === null ? null : hash64(k);
}


const NAME_KEY_STRIP_G = /[\s.·•・‧･]+/g;

export function nameKey(name: string | null): string | null {
  const s = cleanText(name);
  if (s === null) return null;
  const k = s.toLowerCase().replace(NAME_KEY_STRIP_G, '');
  return k === '' ? null : k;
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

const TIME_SUFFIX = String.raw`(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AP]M)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?`;
const YMD_RE = new RegExp(String.raw`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?` + TIME_SUFFIX + '$', 'i');
const COMPACT_RE = /^(\d{4})(\d{2})(\d{2})$/;
const DMY_RE = new RegExp(String.raw`^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})` + TIME_SUFFIX + '$', 'i');
const SERIAL_RE = /^\d{4,5}$/;
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

function ymd(y: number, m: number, d: number): Result<string> {
  // Years outside this span are typing slips, and the database cannot take year 0.
  if (y < 1800 || y > 2200) return fail('year must be between 1800 and 2200');
  if (m < 1 || m > 12 || d < 1) return fail('not a valid date');
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  if (d > dim) return fail('not a valid date');
  return ok(`${y}-${pad2(m)}-${pad2(d)}`);
}

export function parseDate(raw: string, country: string): Result<string> {
  const s = cleanText(raw);
  if (s === null) return fail('date is empty');
  let m = YMD_RE.exec(s);
  if (m) return ymd(Number(m[1]), Number(m[2]), Number(m[3]));
  m = COMPACT_RE.exec(s);
  if (m) return ymd(Number(m[1]), Number(m[2]), Number(m[3]));
  m = DMY_RE.exec(s);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[3]);
    const y = Number(m[4]);
    // Dotted dates are D.M.Y everywhere; slashes follow the country's habit.
    const monthFirst = m[2] !== '.' && country.toUpperCase() === 'US';
    return monthFirst ? ymd(y, a, b) : ymd(y, b, a);
  }
  if (SERIAL_RE.test(s)) {
    const n = Number(s);
    // A bare 4-digit 19xx/20xx is a year without month/day, not an Excel serial.
    if (s.length === 4 && n >= 1900 && n <= 2100) return fail('date needs a month and a day');
    if (n < 1000 || n > 80000) return fail('not a valid date');
    // Serials above 60 already include Excel's phantom 1900-02-29, so the
    // 1899-12-30 epoch lines up with the spreadsheet.
    const d = new Date(EXCEL_EPOCH_MS + n * DAY_MS);
    return ok(`${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`);
  }
  return fail('unrecognized date format');
}

// ---------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------

const TRAILING_DOTS = /\.+$/;

function enumToken(raw: string): string | null {
  const s = cleanText(raw);
  if (s === null) return null;
  return s.toLowerCase().replace(TRAILING_DOTS, '');
}

const GENDERS: ReadonlyMap<string, 'male' | 'female'> = new Map([
  ['男', 'male'], ['男性', 'male'], ['男士', 'male'], ['先生', 'male'],
  ['m', 'male'], ['male', 'male'], ['man', 'male'], ['mr', 'male'],
  ['女', 'female'], ['女性', 'female'], ['女士', 'female'], ['小姐', 'female'],
  ['f', 'female'], ['female', 'female'], ['woman', 'female'],
  ['mrs', 'female'], ['ms', 'female'], ['miss', 'female'],
]);

export function parseGender(raw: string): 'male' | 'female' | null {
  const t = enumToken(raw);
  return t === null ? null : (GENDERS.get(t) ?? null);
}

const CN_TITLE_SUFFIX = /^(.*?)\s*(先生|女士|小姐)$/;
const LATIN_TITLE_PREFIX = /^(mr|mrs|ms|miss|mx|dr)\.?\s+(.+)$/i;
const LATIN_TITLES: Record<string, { title: string; gender: 'male' | 'female' | null }> = {
  mr: { title: 'Mr.', gender: 'male' },
  mrs: { title: 'Mrs.', gender: 'female' },
  ms: { title: 'Ms.', gender: 'female' },
  miss: { title: 'Miss', gender: 'female' },
  mx: { title: 'Mx.', gender: null },
  dr: { title: 'Dr.', gender: null },
};

/**
 * Splits a courtesy title off a name. A trailing 先生/女士/小姐 is removed
 * whenever anything precedes it, so a surname-only entry such as 王先生
 * becomes name 王 + title 先生 (lists often hold just the surname); the
 * title alone yields name null.
 */
export function splitNameTitle(raw: string): {
  name: string | null;
  title: string | null;
  gender: 'male' | 'female' | null;
} {
  const s = cleanText(raw);
  if (s === null) return { name: null, title: null, gender: null };
  const cn = CN_TITLE_SUFFIX.exec(s);
  if (cn) {
    const title = cn[2] as string;
    return { name: cn[1] || null, title, gender: title === '先生' ? 'male' : 'female' };
  }
  const en = LATIN_TITLE_PREFIX.exec(s);
  if (en) {
    const t = LATIN_TITLES[(en[1] as string).toLowerCase()];
    if (t) return { name: en[2] as string, title: t.title, gender: t.gender };
  }
  const only = LATIN_TITLES[s.toLowerCase().replace(TRAILING_DOTS, '')];
  if (only) return { name: null, title: only.title, gender: only.gender };
  return { name: s, title: null, gender: null };
}

const TIERS: ReadonlyMap<string, string> = new Map([
  ['普卡', 'standard'], ['普通', 'standard'], ['普通卡', 'standard'], ['标准', 'standard'],
  ['standard', 'standard'], ['regular', 'standard'], ['basic', 'standard'], ['normal', 'standard'],
  ['银卡', 'silver'], ['银', 'silver'], ['silver', 'silver'],
  ['金卡', 'gold'], ['金', 'gold'], ['黄金', 'gold'], ['gold', 'gold'],
  ['白金卡', 'platinum'], ['白金', 'platinum'], ['platinum', 'platinum'],
  ['钻石卡', 'diamond'], ['钻卡', 'diamond'], ['钻石', 'diamond'], ['diamond', 'diamond'],
  ['vip', 'vip'], ['贵宾', 'vip'], ['贵宾卡', 'vip'], ['vip卡', 'vip'],
]);
const TIER_SUFFIX = /\s*(?:会员|member|tier|card|level)$/;

export function parseTier(raw: string): string | null {
  const s = cleanText(raw);
  if (s === null) return null;
  const lower = s.toLowerCase();
  const t = lower.replace(TRAILING_DOTS, '');
  return TIERS.get(t) ?? TIERS.get(t.replace(TIER_SUFFIX, '')) ?? lower;
}

type Kind = 'prior_owner' | 'corporate' | 'club_member' | 'prospect';
const KINDS: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ['保有客户', 'prior_owner'], ['保有', 'prior_owner'], ['老客户', 'prior_owner'], ['车主', 'prior_owner'],
  ['prior_owner', 'prior_owner'], ['priorowner', 'prior_owner'], ['owner', 'prior_owner'],
  ['existingcustomer', 'prior_owner'],
  ['大客户', 'corporate'], ['集团客户', 'corporate'], ['单位', 'corporate'], ['企业', 'corporate'],
  ['企业客户', 'corporate'], ['fleet', 'corporate'], ['corporate', 'corporate'], ['business', 'corporate'],
  ['会员', 'club_member'], ['俱乐部会员', 'club_member'], ['车友会会员', 'club_member'],
  ['club', 'club_member'], ['club_member', 'club_member'], ['clubmember', 'club_member'], ['member', 'club_member'],
  ['潜客', 'prospect'], ['潜在客户', 'prospect'], ['意向客户', 'prospect'],
  ['prospect', 'prospect'], ['lead', 'prospect'],
]);
const KIND_SEP_G = /[\s-]+/g;

export function parseKind(raw: string): Kind | null {
  const t = enumToken(raw);
  if (t === null) return null;
  return KINDS.get(t) ?? KINDS.get(t.replace(KIND_SEP_G, '')) ?? null;
}

const BOOLS: ReadonlyMap<string, boolean> = new Map([
  ['是', true], ['y', true], ['yes', true], ['true', true], ['1', true], ['同意', true], ['允许', true],
  ['否', false], ['n', false], ['no', false], ['false', false], ['0', false], ['不同意', false],
  ['拒绝', false], ['不允许', false],
]);

export function parseBool(raw: string): boolean | null {
  const t = enumToken(raw);
  return t === null ? null : (BOOLS.get(t) ?? null);
}

// ---------------------------------------------------------------------------
// Numbers and identifiers
// ---------------------------------------------------------------------------

const COMMA_G = /,/g;
const ALL_ZEROS = /^0+$/;
const INT_RE = /^(-)?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万)?\s*(?:km|公里|千米|辆|台|mi|miles)?$/i;

export function parseInteger(raw: string): Result<number> {
  const s = cleanText(raw);
  if (s === null) return fail('number is empty');
  const m = INT_RE.exec(s);
  if (!m) return fail('not a number');
  if (m[1]) return fail('number must not be negative');
  const text = (m[2] as string).replace(COMMA_G, '') + (m[3] ? '.' + m[3] : '');
  let n = Number(text);
  if (m[4]) n = Math.round(n * 10_000);
  else if (m[3] && !ALL_ZEROS.test(m[3])) return fail('number must be a whole number');
  // Counts and mileages are stored as 32-bit integers.
  if (!Number.isSafeInteger(n) || n > 2_147_483_647) return fail('number is too large');
  return ok(n);
}

const VIN_SEP_G = /[\s-]+/g;
const VIN_RE = /^[A-HJ-NPR-Z0-9]{17}$/;
const VIN_IOQ = /[IOQ]/;

export function normalizeVin(raw: string): Result<string> {
  const s = toHalfWidth(raw).toUpperCase().replace(VIN_SEP_G, '');
  if (s === '') return fail('VIN is empty');
  if (VIN_RE.test(s)) return ok(s);
  if (VIN_IOQ.test(s)) return fail('VIN must not contain the letters I, O or Q');
  if (s.length !== 17) return fail('VIN must be 17 characters');
  return fail('VIN contains invalid characters');
}

const LANGUAGES: ReadonlyMap<string, string> = new Map([
  ['中文', 'zh-CN'], ['汉语', 'zh-CN'], ['普通话', 'zh-CN'], ['国语', 'zh-CN'], ['简体中文', 'zh-CN'],
  ['zh', 'zh-CN'], ['zh-cn', 'zh-CN'], ['zh_cn', 'zh-CN'], ['zh-hans', 'zh-CN'],
  ['chinese', 'zh-CN'], ['mandarin', 'zh-CN'],
  ['英文', 'en'], ['英语', 'en'], ['english', 'en'], ['en', 'en'], ['en-us', 'en'], ['en_us', 'en'],
  ['en-gb', 'en'],
]);

export function parseLanguage(raw: string): string | null {
  const t = enumToken(raw);
  return t === null ? null : (LANGUAGES.get(t) ?? null);
}

