// Template text: the static check (variables, helpers, syntax, scoping,
// per-piece detection), salutations, dates and the address helper, and that
// output is plain text (never HTML-escaped).
import { describe, expect, it } from 'vitest';
import { analyze, compileText, formatDate, salutation, surnameOf, type AddressData, type PieceContext } from '../../src/templates/hbs';

const NO_ADDRESS: AddressData = { country: null, province: null, city: null, district: null, street: null, postcode: null };

function contact(over: Partial<PieceContext['contact']> = {}): PieceContext['contact'] {
  return {
    name: null, surname: null, gender: null, title: null, kind: 'prior_owner', company: null, jobTitle: null, phone: null,
    email: null, language: null, birthday: null, club: null, tier: null, joinDate: null, address: NO_ADDRESS,
    vehicle: { make: null, model: null, vin: null, purchaseDate: null, insuranceExpiry: null, lastServiceDate: null },
    ...over,
  };
}

function ctx(c: Partial<PieceContext['contact']> = {}, over: Partial<PieceContext> = {}): PieceContext {
  return {
    contact: contact(c),
    dealer: {
      name: '测试汽车4S店', phone: '0591-12345678', website: null, hours: null,
      address: { country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区', street: '五一北路1号', postcode: '350001' },
      reply: { department: '市场部', name: null, address: NO_ADDRESS, permit: '闽榕商字0001' },
    },
    campaign: { name: '新春', eventDate: '2026-03-08', offer: null },
    piece: { code: 'K7P2-9QXM', url: 'https://m.example.cn/r/ABC123' },
    ...over,
  };
}

describe('analyze', () => {
  it('accepts known variables and helpers', () => {
    for (const src of [
      '尊敬的{{salutation}}：{{dealer.name}}祝您新春快乐',
      '{{contact.vehicle.model}} {{contact.address.postcode}} {{dealer.reply.address.city}} {{campaign.offer}}',
      '{{date campaign.eventDate "short"}} {{address contact}} {{address dealer.address}} {{trackingUrl}} {{qr}}',
      '{{#if contact.vehicle.model}}您的{{contact.vehicle.model}}{{else}}新车{{/if}}',
      '{{#unless contact.name}}客户{{/unless}}',
      '{{#if (eq contact.gender "female")}}女士{{/if}}',
      'plain text, no mustaches',
    ]) {
      expect(analyze(src).issues, src).toEqual([]);
    }
  });

  it('reports unknown variables with the full dotted path and the line', () => {
    expect(analyze('{{contact.nmae}}').issues).toEqual([{ message: 'unknown variable "contact.nmae"', line: 1 }]);
    expect(analyze('你好\n\n{{contact.vehicle.modle}}').issues).toEqual([{ message: 'unknown variable "contact.vehicle.modle"', line: 3 }]);
    expect(analyze('{{dealr.name}}').issues).toEqual([{ message: 'unknown variable "dealr.name"', line: 1 }]);
    // Past a leaf.
    expect(analyze('{{contact.name.first}}').issues).toEqual([{ message: 'unknown variable "contact.name.first"', line: 1 }]);
    // In helper arguments and block conditions too.
    expect(analyze('{{date contact.birthdy}}').issues).toEqual([{ message: 'unknown variable "contact.birthdy"', line: 1 }]);
    expect(analyze('x\n{{#if contact.vehicle.mdl}}y{{/if}}').issues).toEqual([{ message: 'unknown variable "contact.vehicle.mdl"', line: 2 }]);
    // Every problem, not just the first.
    expect(analyze('{{contact.a}}\n{{contact.b}}').issues).toEqual([
      { message: 'unknown variable "contact.a"', line: 1 },
      { message: 'unknown variable "contact.b"', line: 2 },
    ]);
  });

  it('reports unknown helpers', () => {
    expect(analyze('{{shout contact.name}}').issues).toEqual([{ message: 'unknown helper "shout"', line: 1 }]);
    expect(analyze('{{lookup contact "name"}}').issues).toEqual([{ message: 'unknown helper "lookup"', line: 1 }]);
    expect(analyze('a\n{{#each contact}}x{{/each}}').issues).toEqual([{ message: 'unknown block helper "each"', line: 2 }]);
    // A block helper used inline is not a value.
    expect(analyze('{{if contact.name}}').issues).toEqual([{ message: 'unknown helper "if"', line: 1 }]);
  });

  it('reports syntax errors with their line', () => {
    const a = analyze('第一行\n第二行\n{{contact.name');
    expect(a.issues).toHaveLength(1);
    expect(a.issues[0]!.message).toMatch(/^syntax error: /);
    expect(a.issues[0]!.line).toBe(3);
    expect(analyze('{{#if contact.name}}\n\n{{/if').issues[0]!.line).toBe(3);
  });

  it('reports the line of a block closed by the wrong helper', () => {
    const a = analyze('line1\n{{#if contact.name}}\n{{/unless}}');
    expect(a.issues).toHaveLength(1);
    expect(a.issues[0]!.message).toMatch(/^syntax error: .*if doesn't match unless/);
    expect(a.issues[0]!.line).toBe(2);
  });

  it('refuses to print a group of fields', () => {
    expect(analyze('{{contact.address}}').issues).toEqual([{ message: '"contact.address" is a group of fields, not a value', line: 1 }]);
    expect(analyze('{{dealer.reply}}').issues).toEqual([{ message: '"dealer.reply" is a group of fields, not a value', line: 1 }]);
    expect(analyze('{{this}}').issues).toEqual([{ message: 'the whole context cannot be printed', line: 1 }]);
    // As a helper argument a group is fine.
    expect(analyze('{{address contact.address}}').issues).toEqual([]);
  });

  it('refuses partials and decorators', () => {
    expect(analyze('{{> footer}}').issues).toEqual([{ message: 'partials and decorators are not supported', line: 1 }]);
    expect(analyze('a\n{{#> layout}}x{{/layout}}').issues).toEqual([{ message: 'partials and decorators are not supported', line: 2 }]);
  });

  it('names unknown data variables as written', () => {
    expect(analyze('{{@index}}').issues).toEqual([{ message: 'unknown data variable "@index"', line: 1 }]);
  });

  it('scopes {{#with}} blocks', () => {
    expect(analyze('{{#with contact}}{{name}}{{/with}}').issues).toEqual([]);
    expect(analyze('{{#with contact}}{{vehicle.model}} {{../dealer.name}}{{/with}}').issues).toEqual([]);
    expect(analyze('{{#with contact.address}}{{city}}{{district}}{{/with}}').issues).toEqual([]);
    expect(analyze('{{#with contact}}{{nam}}{{/with}}').issues).toEqual([{ message: 'unknown variable "contact.nam"', line: 1 }]);
    expect(analyze('{{#with contact}}{{#with vehicle}}{{modle}}{{/with}}{{/with}}').issues).toEqual([
      { message: 'unknown variable "contact.vehicle.modle"', line: 1 },
    ]);
    // Outside the block the scope is the root again.
    expect(analyze('{{#with contact}}{{name}}{{/with}}{{name}}').issues).toEqual([{ message: 'unknown variable "name"', line: 1 }]);
  });

  it('knows which texts differ from piece to piece', () => {
    const perPiece = [
      '{{contact.name}}',
      '{{#with contact}}{{name}}{{/with}}',
      '{{piece.code}}',
      '{{salutation}}',
      '{{trackingUrl}}',
      '{{qr}}',
      '{{address contact}}',
      '{{#if contact.vehicle.model}}老客户{{/if}}',
      '{{date contact.birthday}}',
    ];
    for (const src of perPiece) expect(analyze(src).perPiece, src).toBe(true);
    const shared = [
      '恭贺新禧 · 新春快乐',
      '{{dealer.name}} 敬贺',
      '{{dealer.phone}} {{dealer.reply.permit}} {{campaign.offer}}',
      '{{date campaign.eventDate}}',
      '{{#if campaign.offer}}{{campaign.offer}}{{/if}}',
    ];
    for (const src of shared) expect(analyze(src).perPiece, src).toBe(false);
  });
});

describe('salutation', () => {
  it('addresses Chinese customers by surname and title', () => {
    expect(salutation(contact({ name: '王小明', gender: 'male' }), 'zh-CN')).toBe('王先生');
    expect(salutation(contact({ name: '王小明', gender: 'female' }), 'zh-CN')).toBe('王女士');
    expect(salutation(contact({ name: '欧阳娜娜', gender: 'female' }), 'zh-CN')).toBe('欧阳女士');
    expect(salutation(contact({ name: '诸葛明亮', gender: 'male' }), 'zh-CN')).toBe('诸葛先生');
    // A two-character name starting like a compound surname is surname + given name.
    expect(salutation(contact({ name: '欧阳', gender: 'male' }), 'zh-CN')).toBe('欧先生');
    // An explicit title wins over gender; English titles are translated.
    expect(salutation(contact({ name: '李华', gender: 'male', title: '女士' }), 'zh-CN')).toBe('李女士');
    expect(salutation(contact({ name: '李华', title: 'Dr.' }), 'zh-CN')).toBe('李博士');
    // A surname column wins over the guess.
    expect(salutation(contact({ name: '王小明', surname: '王小', gender: 'male' }), 'zh-CN')).toBe('王小先生');
  });

  it('uses the full name when neither gender nor title is known', () => {
    expect(salutation(contact({ name: '王小明' }), 'zh-CN')).toBe('王小明');
    expect(salutation(contact({ name: 'John Smith' }), 'en')).toBe('John Smith');
  });

  it('uses the company for corporate accounts', () => {
    expect(salutation(contact({ kind: 'corporate', company: '福州运输有限公司', name: '张三', gender: 'male' }), 'zh-CN')).toBe('福州运输有限公司');
    expect(salutation(contact({ kind: 'corporate', company: 'Acme Fleet Inc.' }), 'en')).toBe('Acme Fleet Inc.');
    // A corporate contact without a company is greeted by name.
    expect(salutation(contact({ kind: 'corporate', name: '张三', gender: 'male' }), 'zh-CN')).toBe('张先生');
  });

  it('falls back to a neutral greeting without a name', () => {
    expect(salutation(contact(), 'zh-CN')).toBe('尊敬的客户');
    expect(salutation(contact({ gender: 'male' }), 'en')).toBe('Valued Customer');
  });

  it('addresses English customers by title and last name', () => {
    expect(salutation(contact({ name: 'John Smith', gender: 'male' }), 'en')).toBe('Mr. Smith');
    expect(salutation(contact({ name: 'Jane Mary Doe', gender: 'female' }), 'en')).toBe('Ms. Doe');
    expect(salutation(contact({ name: 'John Smith', title: 'Dr.', gender: 'male' }), 'en')).toBe('Dr. Smith');
    expect(salutation(contact({ name: 'Wang Xiaoming', title: '先生' }), 'en')).toBe('Mr. Xiaoming');
    // Chinese names in an English piece: surname first.
    expect(salutation(contact({ name: '王小明', gender: 'male' }), 'en')).toBe('Mr. 王');
  });

  it('finds surnames', () => {
    expect(surnameOf('王小明')).toBe('王');
    expect(surnameOf('  司马光 ')).toBe('司马');
    expect(surnameOf('John  Smith')).toBe('Smith');
    expect(surnameOf('')).toBeNull();
    expect(surnameOf(null)).toBeNull();
  });

  it('finds the surname of a name that starts with a character outside the BMP', () => {
    // 𠮷 (U+20BB7) is a real surname character and a surrogate pair in JS strings.
    expect(surnameOf('𠮷田')).toBe('𠮷');
    expect(salutation(contact({ name: '𠮷小明', gender: 'male' }), 'zh-CN')).toBe('𠮷先生');
  });

  it('is what {{salutation}} prints in the piece locale', () => {
    const r = compileText('尊敬的{{salutation}}：');
    expect(r(ctx({ name: '欧阳娜娜', gender: 'female' }), 'zh-CN')).toBe('尊敬的欧阳女士：');
    expect(compileText('Dear {{salutation}},')(ctx({ name: 'John Smith', gender: 'male' }), 'en')).toBe('Dear Mr. Smith,');
  });
});

describe('formatDate', () => {
  it('formats Chinese dates', () => {
    expect(formatDate('2026-03-08', 'zh-CN')).toBe('2026年3月8日');
    expect(formatDate('2026-03-08', 'zh-CN', 'long')).toBe('2026年3月8日');
    expect(formatDate('2026-03-08', 'zh-CN', 'short')).toBe('2026/3/8');
    expect(formatDate('2026-12-25', 'zh-CN', 'month-day')).toBe('12月25日');
  });

  it('formats English dates', () => {
    expect(formatDate('2026-03-08', 'en')).toBe('March 8, 2026');
    expect(formatDate('2026-03-08', 'en', 'short')).toBe('3/8/2026');
    expect(formatDate('2026-12-25', 'en', 'month-day')).toBe('December 25');
    expect(formatDate('2026-01-31T10:00:00Z', 'en')).toBe('January 31, 2026');
  });

  it('prints nothing for a missing or malformed date', () => {
    expect(formatDate(null, 'zh-CN')).toBe('');
    expect(formatDate('next week', 'en')).toBe('');
    expect(formatDate('', 'en', 'short')).toBe('');
  });

  it('is what {{date}} prints', () => {
    expect(compileText('{{date campaign.eventDate}}')(ctx(), 'zh-CN')).toBe('2026年3月8日');
    expect(compileText('{{date campaign.eventDate "month-day"}}')(ctx(), 'en')).toBe('March 8');
    expect(compileText('[{{date contact.birthday "short"}}]')(ctx(), 'en')).toBe('[]');
  });
});

describe('compileText', () => {
  const cn: AddressData = { country: 'CN', province: '广东省', city: '深圳市', district: '南山区', street: '科技园路1号A栋', postcode: '518057' };
  const us: AddressData = { country: 'US', province: 'CA', city: 'San Jose', district: null, street: '1 Main St Apt 4', postcode: '95112' };

  it('renders a Chinese address: postcode, province to street, then the name line', () => {
    const r = compileText('{{address contact}}');
    expect(r(ctx({ name: '王小明', gender: 'male', address: cn }), 'zh-CN')).toBe('518057\n广东省深圳市南山区科技园路1号A栋\n王小明 先生');
    // A municipality (province = city) is written once.
    const bj: AddressData = { country: 'CN', province: '北京市', city: '北京市', district: '朝阳区', street: '建国路88号', postcode: '100022' };
    expect(r(ctx({ name: '李华', gender: 'female', address: bj }), 'zh-CN')).toBe('100022\n北京市朝阳区建国路88号\n李华 女士');
    // No title known: just the name.
    expect(r(ctx({ name: '李华', address: bj }), 'zh-CN')).toBe('100022\n北京市朝阳区建国路88号\n李华');
    // Corporate: company and contact person.
    expect(r(ctx({ kind: 'corporate', company: '深圳运输有限公司', name: '张三', address: cn }), 'zh-CN')).toBe(
      '518057\n广东省深圳市南山区科技园路1号A栋\n深圳运输有限公司 张三',
    );
  });

  it('renders a US address: name, street, "City, ST ZIP"', () => {
    const r = compileText('{{address contact}}');
    expect(r(ctx({ name: 'John Smith', gender: 'male', address: us }), 'en')).toBe('Mr. John Smith\n1 Main St Apt 4\nSan Jose, CA 95112');
    expect(r(ctx({ name: 'Jane Doe', title: 'Dr.', address: us }), 'en')).toBe('Dr. Jane Doe\n1 Main St Apt 4\nSan Jose, CA 95112');
  });

  it('leaves the name line out on request and for non-contact addresses', () => {
    expect(compileText('{{address contact name=false}}')(ctx({ name: '王小明', gender: 'male', address: cn }), 'zh-CN')).toBe(
      '518057\n广东省深圳市南山区科技园路1号A栋',
    );
    expect(compileText('{{address dealer.address}}')(ctx({ name: '王小明', address: cn }), 'zh-CN')).toBe('350001\n福建省福州市鼓楼区五一北路1号');
    expect(compileText('{{address contact.address}}')(ctx({ name: 'John Smith', gender: 'male', address: us }), 'en')).toBe(
      '1 Main St Apt 4\nSan Jose, CA 95112',
    );
  });

  it('prints nothing for a contact without an address', () => {
    expect(compileText('[{{address contact}}]')(ctx({ name: '王小明', gender: 'male' }), 'zh-CN')).toBe('[]');
    expect(compileText('[{{address dealer.reply.address}}]')(ctx(), 'zh-CN')).toBe('[]');
  });

  it('does not HTML-escape', () => {
    const r = compileText('{{contact.name}} | {{contact.company}} | {{salutation}}');
    expect(r(ctx({ name: 'A&B <x>', company: `"Tom's" & Co` }), 'en')).toBe(`A&B <x> | "Tom's" & Co | A&B <x>`);
    expect(compileText('{{address contact}}')(ctx({ name: '<b>王</b>', address: { ...cn, street: 'A&B路"1"号' } }), 'zh-CN')).toBe(
      '518057\n广东省深圳市南山区A&B路"1"号\n<b>王</b>',
    );
  });

  it('renders the tracking URL, piece code and conditionals', () => {
    const r = compileText('{{trackingUrl}} {{qr}} {{piece.code}}');
    expect(r(ctx(), 'zh-CN')).toBe('https://m.example.cn/r/ABC123 https://m.example.cn/r/ABC123 K7P2-9QXM');
    const cond = compileText('{{#if contact.vehicle.model}}愿您的{{contact.vehicle.model}}伴您平安出行。{{else}}欢迎试驾。{{/if}}');
    expect(cond(ctx({ vehicle: { ...contact().vehicle, model: '凯美瑞' } }), 'zh-CN')).toBe('愿您的凯美瑞伴您平安出行。');
    expect(cond(ctx(), 'zh-CN')).toBe('欢迎试驾。');
    expect(compileText('{{#if (eq contact.gender "female")}}女士{{else}}先生{{/if}}')(ctx({ gender: 'female' }), 'zh-CN')).toBe('女士');
    expect(compileText('{{#with contact}}{{name}}{{/with}}')(ctx({ name: '王小明' }), 'zh-CN')).toBe('王小明');
  });
});
