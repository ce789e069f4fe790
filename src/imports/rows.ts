// One list row → a normalized ContactInput, or the reasons it was rejected
// (each naming the column as it is headed in the file).
import {
  cleanText,
  householdId,
  nameKey,
  normalizeEmail,
  normalizePhone,
  normalizePostcode,
  normalizeVin,
  parseAddress,
  parseBool,
  parseDate,
  parseGender,
  parseInteger,
  parseKind,
  parseLanguage,
  parseTier,
  splitNameTitle,
  toHalfWidth,
} from '../contacts/normalize';
import type { Channel, ContactInput, ContactKind } from '../contacts/types';
import { FileError } from './csv';
import { IMPORT_FIELDS, resolveHeader, type ImportField } from './headers';

export interface RowError {
  column: string | null;
  reason: string;
  value: string | null;
}

export interface ColumnMap {
  /** field → column index */
  fields: Partial<Record<ImportField, number>>;
  /** Columns kept as attributes: header → index. */
  extra: { name: string; index: number }[];
  header: string[];
}

/** User override: header as in the file → field, or null to ignore the column. */
export type MappingOverride = Record<string, ImportField | null>;

export function buildColumnMap(header: string[], override: MappingOverride = {}): ColumnMap {
  const fields: Partial<Record<ImportField, number>> = {};
  const extra: { name: string; index: number }[] = [];
  const names = header.map((h) => cleanText(h) ?? '');

  for (const key of Object.keys(override)) {
    if (!names.includes(key) && !header.includes(key)) {
      throw new FileError('mapping_unknown_column', `the mapping names column "${key}", which is not in the file`, {
        column: key,
        header: names,
      });
    }
  }
  const taken = new Set<ImportField>();
  // Explicit mapping first, then synonyms, so an override always wins.
  const resolved: (ImportField | null | undefined)[] = names.map((n, i) => {
    const o = Object.prototype.hasOwnProperty.call(override, n) ? override[n] : override[header[i]!];
    if (o === undefined) return undefined;
    if (o !== null) {
      if (taken.has(o)) throw new FileError('mapping_duplicate_field', `the mapping sends two columns to field "${o}"`, { field: o });
      taken.add(o);
    }
    return o;
  });
  names.forEach((n, i) => {
    if (resolved[i] !== undefined) return;
    let f = resolveHeader(n);
    if (f === 'phone' && taken.has('phone') && !taken.has('phone2')) f = 'phone2';
    if (f && !taken.has(f)) {
      taken.add(f);
      resolved[i] = f;
    } else resolved[i] = null;
  });
  resolved.forEach((f, i) => {
    if (f) fields[f] = i;
    else if (f === null && names[i] && !Object.prototype.hasOwnProperty.call(override, names[i]!)) {
      extra.push({ name: names[i]!, index: i });
    }
  });
  if (fields.full_name === undefined && fields.company === undefined && fields.family_name === undefined) {
    throw new FileError(
      'no_name_column',
      'no column holds names: head a column 姓名/name (or 公司/company), or map one explicitly',
      { header: names },
    );
  }
  if (fields.phone === undefined && fields.email === undefined && fields.address === undefined && fields.street === undefined) {
    throw new FileError('no_contact_column', 'no column holds a phone, an email or an address', { header: names });
  }
  return { fields, extra, header: names };
}

/** The resolved mapping for display: header → field (or null when kept as an attribute). */
export function describeMapping(map: ColumnMap): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const f of IMPORT_FIELDS) {
    const i = map.fields[f];
    if (i !== undefined) out[map.header[i] || `column ${i + 1}`] = f;
  }
  for (const e of map.extra) out[e.name] = null;
  return out;
}

export interface RowContext {
  country: string;
  defaultKind?: ContactKind;
}

const KIND_RANK: Record<ContactKind, number> = { prospect: 0, club_member: 1, corporate: 2, prior_owner: 3 };
export const strongerKind = (a: ContactKind, b: ContactKind): ContactKind => (KIND_RANK[b] > KIND_RANK[a] ? b : a);

export function normalizeRow(
  cells: string[],
  map: ColumnMap,
  ctx: RowContext,
): { ok: true; contact: ContactInput } | { ok: false; errors: RowError[] } {
  const errors: RowError[] = [];
  const f = map.fields;
  const raw = (field: ImportField): string | null => {
    const i = f[field];
    if (i === undefined) return null;
    const v = cells[i];
    return v === undefined ? null : cleanText(v);
  };
  const col = (field: ImportField) => map.header[f[field]!] ?? field;
  const fail = (field: ImportField, reason: string, value: string | null) => errors.push({ column: col(field), reason, value });

  const countryRaw = raw('country');
  const country = countryRaw ? countryCode(countryRaw) : ctx.country;

  // Name and salutation.
  let fullName = raw('full_name');
  if (!fullName) {
    const fam = raw('family_name');
    const giv = raw('given_name');
    if (fam || giv) fullName = /[\u4e00-\u9fff]/.test(`${fam ?? ''}${giv ?? ''}`) ? `${fam ?? ''}${giv ?? ''}` : [giv, fam].filter(Boolean).join(' ');
  }
  let gender: 'male' | 'female' | null = null;
  let title = raw('title');
  if (fullName) {
    const s = splitNameTitle(fullName);
    fullName = s.name;
    if (!title && s.title) title = s.title;
    gender = s.gender;
  }
  const genderRaw = raw('gender');
  if (genderRaw) {
    const g = parseGender(genderRaw);
    if (g) gender = g;
    else fail('gender', 'not a recognised gender (男/女, M/F)', genderRaw);
  } else if (title && !gender) gender = parseGender(title);

  const company = raw('company');
  if (!fullName && !company) errors.push({ column: f.full_name !== undefined ? col('full_name') : null, reason: 'no name or company', value: null });

  // Phones: the first valid one is the contact's number.
  let phone: string | null = null;
  for (const field of ['phone', 'phone2'] as const) {
    const v = raw(field);
    if (!v || phone) continue;
    const p = normalizePhone(v, country);
    if (p.ok) phone = p.value;
    else if (field === 'phone') fail(field, p.reason, v);
  }

  let email: string | null = null;
  const emailRaw = raw('email');
  if (emailRaw) {
    const e = normalizeEmail(emailRaw);
    if (e.ok) email = e.value;
    else fail('email', e.reason, emailRaw);
  }

  // Address: structured columns win over the one-line address.
  let province = raw('province');
  let city = raw('city');
  let district = raw('district');
  let street = raw('street');
  let postcode: string | null = null;
  const addressRaw = raw('address');
  if (addressRaw) {
    const a = parseAddress(addressRaw, country);
    province ??= a.province;
    city ??= a.city;
    district ??= a.district;
    street ??= a.street;
    if (a.postcode && !raw('postcode')) postcode = a.postcode;
  }
  const postcodeRaw = raw('postcode') ?? postcode;
  if (postcodeRaw) {
    const pc = normalizePostcode(postcodeRaw, country);
    if (pc.ok) postcode = pc.value;
    else {
      postcode = null;
      fail('postcode', pc.reason, postcodeRaw);
    }
  }
  if (!phone && !email && !street && errors.length === 0) {
    errors.push({ column: null, reason: 'no phone, email or postal address', value: null });
  }

  const date = (field: ImportField): string | null => {
    const v = raw(field);
    if (!v) return null;
    const d = parseDate(v, country);
    if (d.ok) return d.value;
    fail(field, d.reason, v);
    return null;
  };
  const int = (field: ImportField): number | null => {
    const v = raw(field);
    if (!v) return null;
    const n = parseInteger(v);
    if (n.ok) return n.value;
    fail(field, n.reason, v);
    return null;
  };

  const birthday = date('birthday');
  const joinDate = date('join_date');
  const fleetSize = int('fleet_size');
  const languageRaw = raw('language');
  const language = languageRaw ? parseLanguage(languageRaw) : null;
  const tierRaw = raw('tier');
  const tier = tierRaw ? parseTier(tierRaw) : null;
  const club = raw('club');

  // Vehicle.
  let vin: string | null = null;
  const vinRaw = raw('vin');
  if (vinRaw) {
    const v = normalizeVin(vinRaw);
    if (v.ok) vin = v.value;
    else fail('vin', v.reason, vinRaw);
  }
  const make = raw('make');
  const model = raw('model');
  const purchaseDate = date('purchase_date');
  const lastServiceDate = date('last_service_date');
  const insuranceExpiry = date('insurance_expiry');
  const mileageKm = int('mileage');
  const hasVehicle = !!(vin || model || make || purchaseDate);

  // Consent columns.
  let consent: Partial<Record<Channel, boolean>> | null = null;
  for (const [field, ch] of [
    ['sms_consent', 'sms'],
    ['email_consent', 'email'],
    ['mail_consent', 'mail'],
  ] as const) {
    const v = raw(field);
    if (!v) continue;
    const b = parseBool(v);
    if (b === null) fail(field, 'expected yes/no (是/否)', v);
    else (consent ??= {})[ch] = b;
  }

  // Kind: explicit column, then the import's default, then what the row shows.
  let kind: ContactKind | null = null;
  const kindRaw = raw('kind');
  if (kindRaw) {
    kind = parseKind(kindRaw);
    if (!kind) fail('kind', 'unknown customer type (保有客户/大客户/会员/潜客)', kindRaw);
  }
  kind ??= ctx.defaultKind ?? (hasVehicle ? 'prior_owner' : company ? 'corporate' : tier || club ? 'club_member' : 'prospect');

  if (errors.length) return { ok: false, errors };

  let attributes: Record<string, string> | null = null;
  for (const e of map.extra) {
    const v = cells[e.index];
    const t = v === undefined ? null : cleanText(v);
    if (t) (attributes ??= {})[e.name] = t;
  }
  for (const field of ['store', 'note'] as const) {
    const v = raw(field);
    if (v) (attributes ??= {})[field] = v;
  }

  const addr = { country, province, city, district, street, postcode };
  return {
    ok: true,
    contact: {
      kind,
      fullName,
      gender,
      title,
      birthday,
      language,
      phone,
      email,
      ...addr,
      country: street || city || postcode ? country : null,
      company,
      jobTitle: raw('job_title'),
      fleetSize,
      club,
      tier,
      joinDate,
      attributes,
      nameKey: nameKey(fullName ?? company),
      householdKey: householdId(addr),
      vehicle: hasVehicle ? { vin, make, model, purchaseDate, lastServiceDate, mileageKm, insuranceExpiry } : null,
      consent,
    },
  };
}

const COUNTRY_NAMES: Record<string, string> = {
  中国: 'CN',
  中华人民共和国: 'CN',
  china: 'CN',
  prc: 'CN',
  美国: 'US',
  usa: 'US',
  'united states': 'US',
  'united states of america': 'US',
  us: 'US',
};

function countryCode(v: string): string {
  const k = toHalfWidth(v).trim().toLowerCase();
  return COUNTRY_NAMES[k] ?? (/^[a-z]{2}$/.test(k) ? k.toUpperCase() : k.toUpperCase());
}
