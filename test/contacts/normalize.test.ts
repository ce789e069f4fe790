import { describe, expect, it } from 'vitest';
import { neutralizeCsvCell } from '../../src/lib/csv';
import {
  cleanText,
  formatAddress,
  householdKey,
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
  type PostalAddress,
  type Result,
} from '../../src/contacts/normalize';

function okValue<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r.value;
}
function failReason<T>(r: Result<T>): string {
  if (r.ok) throw new Error(`expected failure, got: ${String(r.value)}`);
  return r.reason;
}

const addr = (p: Partial<PostalAddress> & { country: string }): PostalAddress => ({
  province: null,
  city: null,
  district: null,
  street: null,
  postcode: null,
  ...p,
});

describe('toHalfWidth', () => {
  it('converts full-width ASCII and the ideographic space', () => {
    expect(toHalfWidth('ＡＢＣ１２３！～')).toBe('ABC123!~');
    expect(toHalfWidth('a\u3000b')).toBe('a b');
    expect(toHalfWidth('＠（）－')).toBe('@()-');
  });

  it('leaves other text untouched and returns the same string when clean', () => {
    const s = '福建省 abc 123';
    expect(toHalfWidth(s)).toBe(s);
    expect(toHalfWidth('')).toBe('');
    // CJK punctuation outside the full-width ASCII block is not converted.
    expect(toHalfWidth('。、')).toBe('。、');
  });
});

describe('cleanText', () => {
  it('collapses whitespace and trims', () => {
    expect(cleanText('  a   b\t\nc  ')).toBe('a b c');
    expect(cleanText('张\u3000伟')).toBe('张 伟');
    expect(cleanText('a\u00A0b')).toBe('a b');
  });

  it('removes zero-width and control characters', () => {
    expect(cleanText('\uFEFF姓名')).toBe('姓名');
    expect(cleanText('a\u200Bb\u200Cc\u200Dd')).toBe('abcd');
    expect(cleanText('a\u0000b\u0007c\u007Fd')).toBe('abcd');
  });

  it('converts full-width characters', () => {
    expect(cleanText('ＶＩＰ　')).toBe('VIP');
  });

  it('returns null for empty input', () => {
    expect(cleanText(null)).toBeNull();
    expect(cleanText(undefined)).toBeNull();
    expect(cleanText('')).toBeNull();
    expect(cleanText(' \t\u3000\u200B ')).toBeNull();
  });

  it('returns clean text as is', () => {
    expect(cleanText('hello world')).toBe('hello world');
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+86 138 0013 8000', '+8613800138000'],
    ['86-13800138000', '+8613800138000'],
    ['0086 13800138000', '+8613800138000'],
    ['13800138000', '+8613800138000'],
    ['138-0013-8000', '+8613800138000'],
    ['138.0013.8000', '+8613800138000'],
    ['１３８００１３８０００', '+8613800138000'],
    ['＋８６ １３８ ００１３ ８０００', '+8613800138000'],
    ['(0591) 8765-4321', '+8659187654321'],
    ['0591-87654321', '+8659187654321'],
    ['（0591）87654321', '+8659187654321'],
    ['+86 591 8765 4321', '+8659187654321'],
    ['010-12345678', '+861012345678'],
    ['021 1234 5678', '+862112345678'],
    ['+1 (415) 555-2671', '+14155552671'],
    ['001-415-555-2671', '+14155552671'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('CN default: %s → %s', (input, expected) => {
    expect(okValue(normalizePhone(input, 'CN'))).toBe(expected);
  });

  it.each([
    ['415.555.2671', '+14155552671'],
    ['(415) 555-2671', '+14155552671'],
    ['1-415-555-2671', '+14155552671'],
    ['+1 415 555 2671', '+14155552671'],
    ['+86 138 0013 8000', '+8613800138000'],
    ['011 86 138 0013 8000', '+8613800138000'],
  ])('US default: %s → %s', (input, expected) => {
    expect(okValue(normalizePhone(input, 'US'))).toBe(expected);
  });

  it('accepts a lower-case default country', () => {
    expect(okValue(normalizePhone('13800138000', 'cn'))).toBe('+8613800138000');
  });

  it('drops extensions', () => {
    expect(okValue(normalizePhone('13800138000 ext. 12', 'CN'))).toBe('+8613800138000');
    expect(okValue(normalizePhone('0591-87654321转12', 'CN'))).toBe('+8659187654321');
    expect(okValue(normalizePhone('0591-87654321 分机 305', 'CN'))).toBe('+8659187654321');
    expect(okValue(normalizePhone('(415) 555-2671 x204', 'US'))).toBe('+14155552671');
  });

  it('rejects empty, short, long and non-numeric input', () => {
    expect(failReason(normalizePhone('', 'CN'))).toBe('phone number is empty');
    expect(failReason(normalizePhone(' - ', 'CN'))).toBe('phone number is empty');
    expect(failReason(normalizePhone('12345', 'CN'))).toBe('phone number has too few digits');
    expect(failReason(normalizePhone('1234567890123456789', 'CN'))).toBe('phone number has too many digits');
    expect(failReason(normalizePhone('call me', 'CN'))).toBe('phone number contains invalid characters');
    expect(failReason(normalizePhone('138/139 0013 8000', 'CN'))).toBe('phone number contains invalid characters');
  });

  it('rejects numbers that are not valid for the country', () => {
    // Fuzhou landlines have 8 local digits.
    expect(failReason(normalizePhone('0591-2345678', 'CN'))).toBe('not a valid phone number for CN');
    expect(failReason(normalizePhone('12800138000', 'CN'))).toBe('not a valid phone number for CN');
    expect(failReason(normalizePhone('87654321', 'CN'))).toBe('not a valid phone number for CN');
    // NANP area codes never start with 0 or 1.
    expect(normalizePhone('(115) 555-2671', 'US').ok).toBe(false);
  });

  it('does not read a bare 10-digit number as American without a US default', () => {
    const r = normalizePhone('4155552671', 'CN');
    expect(r.ok && r.value.startsWith('+1')).toBe(false);
  });

  it('rejects an unknown default country for national numbers', () => {
    expect(failReason(normalizePhone('0591-87654321', 'XX'))).toBe('unsupported country XX');
    expect(okValue(normalizePhone('+86 591 8765 4321', 'XX'))).toBe('+8659187654321');
  });

  it('handles 200,000 CN mobile numbers quickly', () => {
    const inputs: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const n = String(13_800_000_000 + i * 7);
      inputs.push(i % 2 === 0 ? n : `+86 ${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`);
    }
    const start = performance.now();
    let okCount = 0;
    for (const s of inputs) if (normalizePhone(s, 'CN').ok) okCount++;
    const elapsed = performance.now() - start;
    expect(okCount).toBe(inputs.length);
    expect(elapsed).toBeLessThan(2000);
  });
});

describe('normalizeEmail', () => {
  it('lower-cases and cleans', () => {
    expect(okValue(normalizeEmail('  Zhang.Wei@Example.COM '))).toBe('zhang.wei@example.com');
    expect(okValue(normalizeEmail('zhang\u200B@qq.com'))).toBe('zhang@qq.com');
  });

  it('accepts full-width characters and the ideographic full stop', () => {
    expect(okValue(normalizeEmail('ｚｈａｎｇ＠ｑｑ．ｃｏｍ'))).toBe('zhang@qq.com');
    expect(okValue(normalizeEmail('zhang＠163.com'))).toBe('zhang@163.com');
    expect(okValue(normalizeEmail('zhang@163。com'))).toBe('zhang@163.com');
  });

  it('strips mailto:', () => {
    expect(okValue(normalizeEmail('mailto:a@b.com'))).toBe('a@b.com');
    expect(okValue(normalizeEmail('MAILTO:A@B.COM'))).toBe('a@b.com');
  });

  it('rejects malformed addresses', () => {
    expect(failReason(normalizeEmail(''))).toBe('email is empty');
    expect(failReason(normalizeEmail('mailto:'))).toBe('email is empty');
    expect(failReason(normalizeEmail('zhang.qq.com'))).toBe('email must contain exactly one @');
    expect(failReason(normalizeEmail('a@b@c.com'))).toBe('email must contain exactly one @');
    expect(failReason(normalizeEmail('zhang wei@qq.com'))).toBe('email must not contain spaces');
    expect(failReason(normalizeEmail('zhang@localhost'))).toBe('email domain must contain a dot');
    expect(failReason(normalizeEmail('@qq.com'))).toBe('email is missing the part before @');
    expect(failReason(normalizeEmail('a@qq..com'))).toBe('email domain is malformed');
    expect(failReason(normalizeEmail('a@.qq.com'))).toBe('email domain is malformed');
  });

  it('rejects addresses longer than 254 characters', () => {
    const long = 'a'.repeat(64) + '@' + 'b'.repeat(186) + '.com';
    expect(long.length).toBe(255);
    expect(failReason(normalizeEmail(long))).toBe('email is too long');
    expect(normalizeEmail(long.slice(1)).ok).toBe(true);
  });
});

describe('normalizePostcode', () => {
  it('CN: six digits', () => {
    expect(okValue(normalizePostcode('350001', 'CN'))).toBe('350001');
    expect(okValue(normalizePostcode(' ３５０００１ ', 'CN'))).toBe('350001');
    expect(okValue(normalizePostcode('350 001', 'cn'))).toBe('350001');
  });

  it('CN: rejects anything else', () => {
    for (const bad of ['35000', '3500011', '35O001', 'abcdef']) {
      expect(failReason(normalizePostcode(bad, 'CN'))).toBe('postcode must be 6 digits for CN');
    }
    expect(failReason(normalizePostcode('  ', 'CN'))).toBe('postcode is empty');
  });

  it('US: ZIP and ZIP+4', () => {
    expect(okValue(normalizePostcode('62704', 'US'))).toBe('62704');
    expect(okValue(normalizePostcode('12345-6789', 'US'))).toBe('12345-6789');
    expect(okValue(normalizePostcode('123456789', 'US'))).toBe('12345-6789');
    expect(okValue(normalizePostcode('12345 6789', 'US'))).toBe('12345-6789');
    // Spreadsheets drop the leading zero of New England ZIPs.
    expect(okValue(normalizePostcode('2134', 'US'))).toBe('02134');
  });

  it('US: rejects malformed ZIPs', () => {
    for (const bad of ['123', '1234567', '12345-67', 'ABCDE', '12345-67890']) {
      expect(failReason(normalizePostcode(bad, 'US'))).toBe('postcode must be 5 digits or ZIP+4 for US');
    }
  });

  it('other countries: 2-10 upper-case alphanumerics', () => {
    expect(okValue(normalizePostcode('sw1a 1aa', 'GB'))).toBe('SW1A 1AA');
    expect(okValue(normalizePostcode('10115', 'DE'))).toBe('10115');
    expect(okValue(normalizePostcode('K1A 0B1', 'CA'))).toBe('K1A 0B1');
    expect(failReason(normalizePostcode('A', 'GB'))).toBe('postcode is not valid for GB');
    expect(failReason(normalizePostcode('AB#12', 'GB'))).toBe('postcode is not valid for GB');
    expect(failReason(normalizePostcode('12345678901', 'DE'))).toBe('postcode is not valid for DE');
  });
});

describe('parseAddress (CN)', () => {
  it('splits province, city, district and street', () => {
    expect(parseAddress('福建省福州市鼓楼区五四路123号', 'CN')).toEqual({
      country: 'CN',
      province: '福建省',
      city: '福州市',
      district: '鼓楼区',
      street: '五四路123号',
      postcode: null,
    });
  });

  it('handles municipalities', () => {
    expect(parseAddress('北京市朝阳区建国路88号', 'CN')).toMatchObject({
      province: '北京市',
      city: '北京市',
      district: '朝阳区',
      street: '建国路88号',
    });
    expect(parseAddress('上海浦东新区世纪大道1号', 'CN')).toMatchObject({
      province: '上海市',
      city: '上海市',
      district: '浦东新区',
      street: '世纪大道1号',
    });
    expect(parseAddress('北京市北京市海淀区中关村大街1号', 'CN')).toMatchObject({
      province: '北京市',
      city: '北京市',
      district: '海淀区',
      street: '中关村大街1号',
    });
  });

  it('handles autonomous regions, prefectures and leagues', () => {
    expect(parseAddress('广西壮族自治区南宁市青秀区民族大道100号', 'CN')).toMatchObject({
      province: '广西壮族自治区',
      city: '南宁市',
      district: '青秀区',
      street: '民族大道100号',
    });
    expect(parseAddress('内蒙古自治区锡林郭勒盟锡林浩特市团结大街5号', 'CN')).toMatchObject({
      province: '内蒙古自治区',
      city: '锡林郭勒盟',
      district: '锡林浩特市',
      street: '团结大街5号',
    });
    expect(parseAddress('吉林省延边朝鲜族自治州延吉市光明街2号', 'CN')).toMatchObject({
      province: '吉林省',
      city: '延边朝鲜族自治州',
      district: '延吉市',
    });
    expect(parseAddress('西藏自治区阿里地区噶尔县狮泉河镇1号', 'CN')).toMatchObject({
      province: '西藏自治区',
      city: '阿里地区',
      district: '噶尔县',
      street: '狮泉河镇1号',
    });
    expect(parseAddress('内蒙古呼伦贝尔市鄂温克族自治旗巴彦托海镇', 'CN')).toMatchObject({
      province: '内蒙古自治区',
      city: '呼伦贝尔市',
      district: '鄂温克族自治旗',
    });
  });

  it('handles county-level cities and counties', () => {
    expect(parseAddress('福建省福州市福清市音西街道清昌大道1号', 'CN')).toMatchObject({
      city: '福州市',
      district: '福清市',
      street: '音西街道清昌大道1号',
    });
    expect(parseAddress('福建省福州市闽侯县甘蔗街道1号', 'CN')).toMatchObject({ district: '闽侯县' });
  });

  it('canonicalises short province names but not same-named cities', () => {
    expect(parseAddress('福建福州市鼓楼区五四路123号', 'CN').province).toBe('福建省');
    expect(parseAddress('广西南宁市青秀区民族大道100号', 'CN').province).toBe('广西壮族自治区');
    expect(parseAddress('吉林市船营区北京路1号', 'CN')).toMatchObject({
      province: null,
      city: '吉林市',
      district: '船营区',
    });
    expect(parseAddress('青海省海南藏族自治州共和县X路1号', 'CN')).toMatchObject({
      province: '青海省',
      city: '海南藏族自治州',
      district: '共和县',
    });
  });

  it('tolerates spaces, commas, a leading postcode and 中国', () => {
    const expected = {
      country: 'CN',
      province: '福建省',
      city: '福州市',
      district: '鼓楼区',
      street: '五四路123号',
    };
    expect(parseAddress('福建省 福州市 鼓楼区 五四路 123 号', 'CN')).toMatchObject({ ...expected, postcode: null });
    expect(parseAddress('350001 福建省福州市鼓楼区五四路123号', 'CN')).toMatchObject({ ...expected, postcode: '350001' });
    expect(parseAddress('中国福建省福州市鼓楼区五四路123号', 'CN')).toMatchObject({ ...expected, postcode: null });
    expect(parseAddress('中国 350001 福建省，福州市，鼓楼区，五四路123号', 'CN')).toMatchObject({
      ...expected,
      postcode: '350001',
    });
    expect(parseAddress('福建省福州市鼓楼区五四路123号 邮编：350001', 'CN')).toMatchObject({
      ...expected,
      postcode: '350001',
    });
    expect(parseAddress('　福建省福州市鼓楼区五四路１２３号　', 'CN')).toMatchObject(expected);
  });

  it('works without a province', () => {
    expect(parseAddress('福州市鼓楼区五四路123号', 'CN')).toMatchObject({
      province: null,
      city: '福州市',
      district: '鼓楼区',
      street: '五四路123号',
    });
  });

  it('puts everything in street when nothing matches', () => {
    expect(parseAddress('五四路123号小区3栋', 'CN')).toEqual({
      country: 'CN',
      province: null,
      city: null,
      district: null,
      street: '五四路123号小区3栋',
      postcode: null,
    });
  });

  it('returns all-null parts for empty input', () => {
    expect(parseAddress('  ', 'CN')).toEqual({
      country: 'CN',
      province: null,
      city: null,
      district: null,
      street: null,
      postcode: null,
    });
    expect(parseAddress('福建省福州市', 'CN')).toMatchObject({ province: '福建省', city: '福州市', street: null });
  });
});

describe('parseAddress (US and others)', () => {
  it('splits street, city, state and ZIP', () => {
    expect(parseAddress('123 Main St Apt 4, Springfield, IL 62704', 'US')).toEqual({
      country: 'US',
      province: 'IL',
      city: 'Springfield',
      district: null,
      street: '123 Main St Apt 4',
      postcode: '62704',
    });
  });

  it('keeps ZIP+4 and upper-cases the state', () => {
    expect(parseAddress('123 Main St, Springfield, il 62704-1234', 'US')).toMatchObject({
      province: 'IL',
      postcode: '62704-1234',
    });
  });

  it('tolerates missing commas before the state', () => {
    expect(parseAddress('123 Main St Apt 4, Springfield IL 62704', 'US')).toMatchObject({
      street: '123 Main St Apt 4',
      city: 'Springfield',
      province: 'IL',
      postcode: '62704',
    });
    expect(parseAddress('123 Main St Apt 4 Springfield IL 62704', 'US')).toMatchObject({
      street: '123 Main St Apt 4',
      city: 'Springfield',
      province: 'IL',
    });
  });

  it('accepts full state names, multi-word cities and a trailing country', () => {
    expect(parseAddress('1 Infinite Loop, Cupertino, California 95014, USA', 'US')).toMatchObject({
      street: '1 Infinite Loop',
      city: 'Cupertino',
      province: 'CA',
      postcode: '95014',
    });
    expect(parseAddress('500 Broadway, New York, NY 10012', 'US')).toMatchObject({
      street: '500 Broadway',
      city: 'New York',
      province: 'NY',
    });
  });

  it('puts unrecognised text in street', () => {
    expect(parseAddress('somewhere over the rainbow', 'US')).toEqual({
      country: 'US',
      province: null,
      city: null,
      district: null,
      street: 'somewhere over the rainbow',
      postcode: null,
    });
  });

  it('keeps other countries as one street line', () => {
    expect(parseAddress(' 10 Downing Street,  London ', 'gb')).toEqual({
      country: 'GB',
      province: null,
      city: null,
      district: null,
      street: '10 Downing Street, London',
      postcode: null,
    });
  });
});

describe('formatAddress', () => {
  const cn = addr({
    country: 'CN',
    province: '福建省',
    city: '福州市',
    district: '鼓楼区',
    street: '五四路123号',
    postcode: '350001',
  });

  it('CN: postcode, address, name', () => {
    expect(formatAddress(cn, '张伟')).toEqual(['350001', '福建省福州市鼓楼区五四路123号', '张伟']);
    expect(formatAddress({ ...cn, postcode: null })).toEqual(['福建省福州市鼓楼区五四路123号']);
  });

  it('CN: omits the city of a municipality', () => {
    const bj = addr({ country: 'CN', province: '北京市', city: '北京市', district: '朝阳区', street: '建国路88号' });
    expect(formatAddress(bj, '李娜')).toEqual(['北京市朝阳区建国路88号', '李娜']);
  });

  it('US: name, street, city line', () => {
    const us = addr({ country: 'US', province: 'IL', city: 'Springfield', street: '123 Main St Apt 4', postcode: '62704' });
    expect(formatAddress(us, 'John Smith')).toEqual(['John Smith', '123 Main St Apt 4', 'Springfield, IL 62704']);
    expect(formatAddress(us)).toEqual(['123 Main St Apt 4', 'Springfield, IL 62704']);
    expect(formatAddress({ ...us, city: null }, null)).toEqual(['123 Main St Apt 4', 'IL 62704']);
  });

  it('other countries: name, street, postcode city, province, country', () => {
    const de = addr({ country: 'DE', city: 'Berlin', street: 'Unter den Linden 1', postcode: '10117', province: 'Berlin' });
    expect(formatAddress(de, 'Max Muster')).toEqual(['Max Muster', 'Unter den Linden 1', '10117 Berlin', 'Berlin', 'DE']);
    expect(formatAddress(addr({ country: 'GB', street: '10 Downing St' }))).toEqual(['10 Downing St', 'GB']);
  });
});

describe('householdKey', () => {
  it('is null without a street', () => {
    expect(householdKey(addr({ country: 'CN', province: '福建省', city: '福州市' }))).toBeNull();
  });

  it('treats spacing, width and traditional 號 as the same household', () => {
    const a = parseAddress('福建省福州市鼓楼区五四路 123 号', 'CN');
    const b = parseAddress('福建省福州市鼓楼区五四路123号', 'CN');
    const c = addr({ country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路１２３號' });
    expect(householdKey(a)).toBe(householdKey(b));
    expect(householdKey(c)).toBe(householdKey(b));
    expect(householdKey(b)).toBe('cn|福建省|福州市|鼓楼区|五四路123号');
  });

  it('ignores ASCII and CJK punctuation', () => {
    const a = addr({ country: 'CN', city: '福州市', street: '五四路123号（3栋）、201室' });
    const b = addr({ country: 'CN', city: '福州市', street: '五四路123号3栋201室' });
    expect(householdKey(a)).toBe(householdKey(b));
  });

  it('normalises US street abbreviations', () => {
    const base = { country: 'US', city: 'Springfield', province: 'IL', postcode: '62704' };
    const k = householdKey(addr({ ...base, street: '123 Main Street Apartment 4' }));
    expect(householdKey(addr({ ...base, street: '123 main st. apt 4' }))).toBe(k);
    expect(householdKey(addr({ ...base, street: '123 MAIN ST #4' }))).toBe(k);
    expect(householdKey(addr({ ...base, street: '123 Main St, Unit 4' }))).toBe(k);
    expect(householdKey(addr({ ...base, street: '123 Main St Apt. #4' }))).toBe(k);
    expect(householdKey(addr({ ...base, street: '9 North Oak Avenue Suite 200' }))).toBe(
      householdKey(addr({ ...base, street: '9 N Oak Ave Ste 200' })),
    );
    expect(householdKey(addr({ ...base, street: '1 Elm Road' }))).toBe(householdKey(addr({ ...base, street: '1 elm rd' })));
  });

  it('keeps different households apart', () => {
    const base = { country: 'US', city: 'Springfield', province: 'IL', postcode: '62704' };
    expect(householdKey(addr({ ...base, street: '123 Main St Apt 4' }))).not.toBe(
      householdKey(addr({ ...base, street: '123 Main St Apt 5' })),
    );
    expect(householdKey(addr({ ...base, street: '123 Main St' }))).not.toBe(
      householdKey(addr({ ...base, street: '123 Main Ave' })),
    );
    expect(householdKey(addr({ country: 'CN', city: '福州市', street: '五四路123号' }))).not.toBe(
      householdKey(addr({ country: 'CN', city: '厦门市', street: '五四路123号' })),
    );
  });
});

describe('nameKey', () => {
  it('normalises case, spacing and name dots', () => {
    expect(nameKey(' 张 伟 ')).toBe('张伟');
    expect(nameKey('阿卜杜勒·克里木')).toBe('阿卜杜勒克里木');
    expect(nameKey('John  Q. Smith')).toBe('johnqsmith');
    expect(nameKey('JOHN Q SMITH')).toBe('johnqsmith');
    expect(nameKey('Ａｎｎａ•Ｌｉ')).toBe('annali');
  });

  it('returns null when nothing is left', () => {
    expect(nameKey(null)).toBeNull();
    expect(nameKey('')).toBeNull();
    expect(nameKey(' . · ')).toBeNull();
  });
});

describe('parseDate', () => {
  it.each([
    ['2023-05-01', '2023-05-01'],
    ['2023/5/1', '2023-05-01'],
    ['2023.5.1', '2023-05-01'],
    ['2023年5月1日', '2023-05-01'],
    ['2023 年 5 月 1 日', '2023-05-01'],
    ['２０２３－０５－０１', '2023-05-01'],
    ['20230501', '2023-05-01'],
    ['2023-05-01 10:22:00', '2023-05-01'],
    ['2023/5/1 9:05', '2023-05-01'],
    ['2023-05-01T10:22:00Z', '2023-05-01'],
    ['2023-05-01T10:22:00.123+08:00', '2023-05-01'],
    ['01.05.2023', '2023-05-01'],
    ['2024-02-29', '2024-02-29'],
  ])('%s → %s', (input, expected) => {
    expect(okValue(parseDate(input, 'CN'))).toBe(expected);
  });

  it('reads slashed dates by country', () => {
    expect(okValue(parseDate('5/1/2023', 'US'))).toBe('2023-05-01');
    expect(okValue(parseDate('5/1/2023', 'CN'))).toBe('2023-01-05');
    expect(okValue(parseDate('5/1/2023', 'GB'))).toBe('2023-01-05');
    expect(okValue(parseDate('12/31/2023', 'US'))).toBe('2023-12-31');
    expect(okValue(parseDate('31/12/2023', 'CN'))).toBe('2023-12-31');
    // Dotted dates are day-first everywhere.
    expect(okValue(parseDate('01.05.2023', 'US'))).toBe('2023-05-01');
  });

  it('converts Excel serial day numbers', () => {
    expect(okValue(parseDate('45000', 'CN'))).toBe('2023-03-15');
    expect(okValue(parseDate('45047', 'US'))).toBe('2023-05-01');
    expect(okValue(parseDate('1000', 'CN'))).toBe('1902-09-26');
    expect(okValue(parseDate('80000', 'CN'))).toBe('2119-01-11');
  });

  it('rejects impossible dates', () => {
    for (const bad of ['2023-02-30', '2023-13-01', '2023-00-10', '2023-04-31', '2023-02-29', '20230230', '31/12/2023']) {
      const country = bad === '31/12/2023' ? 'US' : 'CN';
      expect(failReason(parseDate(bad, country))).toBe('not a valid date');
    }
  });

  it('rejects garbage and out-of-range serials', () => {
    expect(failReason(parseDate('', 'CN'))).toBe('date is empty');
    expect(failReason(parseDate('yesterday', 'CN'))).toBe('unrecognized date format');
    expect(failReason(parseDate('2023年5月', 'CN'))).toBe('unrecognized date format');
    expect(failReason(parseDate('5/1/23', 'US'))).toBe('unrecognized date format');
    expect(failReason(parseDate('999', 'CN'))).toBe('unrecognized date format');
    expect(failReason(parseDate('80001', 'CN'))).toBe('not a valid date');
    expect(failReason(parseDate('45000.5x', 'CN'))).toBe('unrecognized date format');
  });

  it('does not read a bare year as an Excel serial', () => {
    expect(failReason(parseDate('1985', 'CN'))).toBe('date needs a month and a day');
  });
});

describe('parseGender', () => {
  it.each([
    ['男', 'male'], ['先生', 'male'], ['M', 'male'], ['m', 'male'], ['Male', 'male'], ['MR.', 'male'], ['Mr', 'male'],
    ['女', 'female'], ['女士', 'female'], ['小姐', 'female'], ['F', 'female'], ['FEMALE', 'female'],
    ['Mrs.', 'female'], ['ms', 'female'], ['Miss', 'female'], [' 女 ', 'female'],
  ] as const)('%s → %s', (input, expected) => {
    expect(parseGender(input)).toBe(expected);
  });

  it('returns null for unknown values', () => {
    for (const v of ['', '  ', '未知', 'x', 'Dr.', 'other']) expect(parseGender(v)).toBeNull();
  });
});

describe('splitNameTitle', () => {
  it('strips a trailing Chinese courtesy title', () => {
    expect(splitNameTitle('张伟先生')).toEqual({ name: '张伟', title: '先生', gender: 'male' });
    expect(splitNameTitle('李娜女士')).toEqual({ name: '李娜', title: '女士', gender: 'female' });
    expect(splitNameTitle('欧阳小姐')).toEqual({ name: '欧阳', title: '小姐', gender: 'female' });
    expect(splitNameTitle('张伟 先生')).toEqual({ name: '张伟', title: '先生', gender: 'male' });
  });

  it('keeps a surname-only entry as the name', () => {
    expect(splitNameTitle('王先生')).toEqual({ name: '王', title: '先生', gender: 'male' });
    expect(splitNameTitle('先生')).toEqual({ name: null, title: '先生', gender: 'male' });
  });

  it('strips a leading Latin title', () => {
    expect(splitNameTitle('Mr. John Smith')).toEqual({ name: 'John Smith', title: 'Mr.', gender: 'male' });
    expect(splitNameTitle('mrs Jane Doe')).toEqual({ name: 'Jane Doe', title: 'Mrs.', gender: 'female' });
    expect(splitNameTitle('Ms. Li')).toEqual({ name: 'Li', title: 'Ms.', gender: 'female' });
    expect(splitNameTitle('Dr. Wang Fang')).toEqual({ name: 'Wang Fang', title: 'Dr.', gender: null });
  });

  it('leaves plain names alone', () => {
    expect(splitNameTitle('张伟')).toEqual({ name: '张伟', title: null, gender: null });
    expect(splitNameTitle('Mrsha Brown')).toEqual({ name: 'Mrsha Brown', title: null, gender: null });
    expect(splitNameTitle('Drew Carey')).toEqual({ name: 'Drew Carey', title: null, gender: null });
    expect(splitNameTitle('  ')).toEqual({ name: null, title: null, gender: null });
  });
});

describe('parseTier', () => {
  it.each([
    ['普卡', 'standard'], ['银卡', 'silver'], ['金卡', 'gold'], ['白金卡', 'platinum'], ['钻石卡', 'diamond'],
    ['钻卡', 'diamond'], ['VIP', 'vip'], ['vip', 'vip'], ['贵宾', 'vip'], ['Gold', 'gold'], ['PLATINUM', 'platinum'],
    ['Standard', 'standard'], ['Silver', 'silver'], ['Diamond', 'diamond'], ['金卡会员', 'gold'],
    ['Gold Member', 'gold'], ['ＶＩＰ', 'vip'],
  ])('%s → %s', (input, expected) => {
    expect(parseTier(input)).toBe(expected);
  });

  it('keeps unknown values cleaned and lower-cased', () => {
    expect(parseTier('  Black  Card ')).toBe('black card');
    expect(parseTier('')).toBeNull();
    expect(parseTier('   ')).toBeNull();
  });
});

describe('parseKind', () => {
  it.each([
    ['保有客户', 'prior_owner'], ['老客户', 'prior_owner'], ['车主', 'prior_owner'],
    ['大客户', 'corporate'], ['集团客户', 'corporate'], ['单位', 'corporate'], ['企业', 'corporate'],
    ['Fleet', 'corporate'], ['CORPORATE', 'corporate'],
    ['会员', 'club_member'], ['俱乐部会员', 'club_member'], ['Club', 'club_member'], ['club member', 'club_member'],
    ['潜客', 'prospect'], ['潜在客户', 'prospect'], ['Prospect', 'prospect'], ['lead', 'prospect'],
    ['prior_owner', 'prior_owner'], ['Prior Owner', 'prior_owner'],
  ] as const)('%s → %s', (input, expected) => {
    expect(parseKind(input)).toBe(expected);
  });

  it('returns null for unknown values', () => {
    for (const v of ['', '路人', 'supplier', 'x']) expect(parseKind(v)).toBeNull();
  });
});

describe('parseBool', () => {
  it.each([
    ['是', true], ['Y', true], ['yes', true], ['TRUE', true], ['1', true], ['同意', true], ['允许', true],
    ['否', false], ['n', false], ['No', false], ['false', false], ['0', false], ['不同意', false], ['拒绝', false],
    [' １ ', true],
  ] as const)('%s → %s', (input, expected) => {
    expect(parseBool(input)).toBe(expected);
  });

  it('returns null for anything else', () => {
    for (const v of ['', 'maybe', '2', '可能', 'yess']) expect(parseBool(v)).toBeNull();
  });
});

describe('parseInteger', () => {
  it.each([
    ['12', 12], ['0', 0], ['12,345', 12345], ['1,234,567', 1234567], ['１２，０００', 12000],
    ['12000 km', 12000], ['12000KM', 12000], ['3.5万公里', 35000], ['1.2万', 12000], ['2万', 20000],
    ['15公里', 15], ['3辆', 3], ['5 台', 5], ['12000.0', 12000],
  ] as const)('%s → %d', (input, expected) => {
    expect(okValue(parseInteger(input))).toBe(expected);
  });

  it('rejects negatives, fractions and non-numbers', () => {
    expect(failReason(parseInteger('-5'))).toBe('number must not be negative');
    expect(failReason(parseInteger('1.5'))).toBe('number must be a whole number');
    expect(failReason(parseInteger('abc'))).toBe('not a number');
    expect(failReason(parseInteger('12,34'))).toBe('not a number');
    expect(failReason(parseInteger('12 apples'))).toBe('not a number');
    expect(failReason(parseInteger(''))).toBe('number is empty');
    expect(failReason(parseInteger('99999999999999999999'))).toBe('number is too large');
  });
});

describe('normalizeVin', () => {
  it('normalises width, case, spaces and dashes', () => {
    expect(okValue(normalizeVin('lsvaa4182e2123456'))).toBe('LSVAA4182E2123456');
    expect(okValue(normalizeVin('LSV AA418 2E2-123456'))).toBe('LSVAA4182E2123456');
    expect(okValue(normalizeVin('ＬＳＶＡＡ４１８２Ｅ２１２３４５６'))).toBe('LSVAA4182E2123456');
  });

  it('rejects the wrong length', () => {
    expect(failReason(normalizeVin('LSVAA4182E212345'))).toBe('VIN must be 17 characters');
    expect(failReason(normalizeVin('LSVAA4182E21234567'))).toBe('VIN must be 17 characters');
    expect(failReason(normalizeVin(''))).toBe('VIN is empty');
  });

  it('mentions I, O and Q', () => {
    expect(failReason(normalizeVin('LSVAA4182E212345O'))).toMatch(/I, O or Q/);
    expect(failReason(normalizeVin('ISVAA4182E2123456'))).toMatch(/I, O or Q/);
  });

  it('rejects other characters', () => {
    expect(failReason(normalizeVin('LSVAA4182E21234_6'))).toBe('VIN contains invalid characters');
  });
});

describe('parseLanguage', () => {
  it.each([
    ['中文', 'zh-CN'], ['汉语', 'zh-CN'], ['普通话', 'zh-CN'], ['zh', 'zh-CN'], ['zh-CN', 'zh-CN'], ['Chinese', 'zh-CN'],
    ['英文', 'en'], ['英语', 'en'], ['English', 'en'], ['EN', 'en'], ['en-US', 'en'],
  ])('%s → %s', (input, expected) => {
    expect(parseLanguage(input)).toBe(expected);
  });

  it('returns null for unknown values', () => {
    for (const v of ['', 'fr', '日语', 'Klingon']) expect(parseLanguage(v)).toBeNull();
  });
});

describe('neutralizeCsvCell', () => {
  it('prefixes formula-like values', () => {
    expect(neutralizeCsvCell('=SUM(A1:A2)')).toBe("'=SUM(A1:A2)");
    expect(neutralizeCsvCell('+86 138')).toBe("'+86 138");
    expect(neutralizeCsvCell('-1')).toBe("'-1");
    expect(neutralizeCsvCell('@cmd')).toBe("'@cmd");
    expect(neutralizeCsvCell('\tx')).toBe("'\tx");
    expect(neutralizeCsvCell('\rx')).toBe("'\rx");
  });

  it('leaves other values unchanged', () => {
    expect(neutralizeCsvCell('张伟')).toBe('张伟');
    expect(neutralizeCsvCell('a=b')).toBe('a=b');
    expect(neutralizeCsvCell('')).toBe('');
    expect(neutralizeCsvCell(" 'quoted")).toBe(" 'quoted");
  });
});
