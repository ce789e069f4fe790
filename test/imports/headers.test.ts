import { describe, expect, it } from 'vitest';
import { HEADER_SYNONYMS, IMPORT_FIELDS, resolveHeader, type ImportField } from '../../src/imports/headers';

describe('IMPORT_FIELDS', () => {
  it('lists every canonical field exactly once', () => {
    expect(IMPORT_FIELDS).toHaveLength(36);
    expect(new Set(IMPORT_FIELDS).size).toBe(IMPORT_FIELDS.length);
    expect(IMPORT_FIELDS[0]).toBe('full_name');
    expect(IMPORT_FIELDS).toContain('last_service_date');
  });

  it('resolves each canonical name to itself', () => {
    for (const f of IMPORT_FIELDS) expect(resolveHeader(f)).toBe(f);
  });

  it('never maps one synonym to two fields', () => {
    const seen = new Map<string, ImportField>();
    for (const f of IMPORT_FIELDS) {
      for (const syn of HEADER_SYNONYMS[f]) {
        const resolved = resolveHeader(syn);
        expect(resolved, `synonym "${syn}" of ${f}`).toBe(f);
        const k = syn.toLowerCase().replace(/[\s_\-*:：]/g, '');
        const prev = seen.get(k);
        if (prev !== undefined) expect(prev, `synonym "${syn}"`).toBe(f);
        seen.set(k, f);
      }
    }
  });
});

describe('resolveHeader', () => {
  const cases: Array<[string, ImportField]> = [
    ['姓名', 'full_name'], ['客户名称', 'full_name'], ['客户姓名', 'full_name'], ['名字', 'full_name'],
    ['联系人', 'full_name'], ['Name', 'full_name'], ['FullName', 'full_name'], ['Customer Name', 'full_name'],
    ['contact_name', 'full_name'],
    ['姓', 'family_name'], ['Last Name', 'family_name'], ['surname', 'family_name'], ['Family-Name', 'family_name'],
    ['名', 'given_name'], ['First Name', 'given_name'], ['given_name', 'given_name'],
    ['性别', 'gender'], ['Gender', 'gender'], ['SEX', 'gender'],
    ['称谓', 'title'], ['称呼', 'title'], ['Title', 'title'], ['Salutation', 'title'],
    ['生日', 'birthday'], ['出生日期', 'birthday'], ['Date of Birth', 'birthday'], ['DOB', 'birthday'],
    ['语言', 'language'], ['Language', 'language'],
    ['手机', 'phone'], ['手机号', 'phone'], ['手机号码', 'phone'], ['电话', 'phone'], ['联系电话', 'phone'],
    ['移动电话', 'phone'], ['Mobile', 'phone'], ['Phone', 'phone'], ['Cell', 'phone'], ['Tel', 'phone'],
    ['Telephone', 'phone'],
    ['备用电话', 'phone2'], ['固话', 'phone2'], ['座机', 'phone2'], ['Phone2', 'phone2'], ['phone 2', 'phone2'],
    ['邮箱', 'email'], ['电子邮箱', 'email'], ['电子邮件', 'email'], ['Email', 'email'], ['E-mail', 'email'],
    ['MAIL', 'email'],
    ['地址', 'address'], ['通讯地址', 'address'], ['联系地址', 'address'], ['家庭地址', 'address'],
    ['邮寄地址', 'address'], ['Address', 'address'], ['Mailing Address', 'address'],
    ['国家', 'country'], ['Country', 'country'],
    ['省', 'province'], ['省份', 'province'], ['State', 'province'], ['Province', 'province'],
    ['市', 'city'], ['城市', 'city'], ['City', 'city'],
    ['区', 'district'], ['区县', 'district'], ['District', 'district'], ['County', 'district'],
    ['街道', 'street'], ['详细地址', 'street'], ['Street', 'street'], ['Address Line 1', 'street'],
    ['邮编', 'postcode'], ['邮政编码', 'postcode'], ['Postcode', 'postcode'], ['Postal Code', 'postcode'],
    ['ZIP', 'postcode'], ['Zip Code', 'postcode'],
    ['公司', 'company'], ['单位', 'company'], ['公司名称', 'company'], ['单位名称', 'company'],
    ['Company', 'company'], ['Organization', 'company'],
    ['职务', 'job_title'], ['职位', 'job_title'], ['Job Title', 'job_title'], ['Position', 'job_title'],
    ['车队规模', 'fleet_size'], ['车辆数', 'fleet_size'], ['Fleet Size', 'fleet_size'],
    ['俱乐部', 'club'], ['Club', 'club'],
    ['会员等级', 'tier'], ['等级', 'tier'], ['会员卡', 'tier'], ['Tier', 'tier'], ['Level', 'tier'],
    ['Membership', 'tier'],
    ['入会日期', 'join_date'], ['Join Date', 'join_date'], ['Member Since', 'join_date'],
    ['客户类型', 'kind'], ['类型', 'kind'], ['Kind', 'kind'], ['Type', 'kind'], ['Customer Type', 'kind'],
    ['VIN', 'vin'], ['车架号', 'vin'], ['车辆识别代码', 'vin'],
    ['品牌', 'make'], ['Make', 'make'], ['Brand', 'make'],
    ['车型', 'model'], ['车辆型号', 'model'], ['Model', 'model'],
    ['购车日期', 'purchase_date'], ['购买日期', 'purchase_date'], ['开票日期', 'purchase_date'],
    ['Purchase Date', 'purchase_date'],
    ['上次保养日期', 'last_service_date'], ['最近保养', 'last_service_date'], ['Last Service', 'last_service_date'],
    ['里程', 'mileage'], ['行驶里程', 'mileage'], ['Mileage', 'mileage'],
    ['保险到期', 'insurance_expiry'], ['保险到期日', 'insurance_expiry'], ['Insurance Expiry', 'insurance_expiry'],
    ['短信许可', 'sms_consent'], ['允许短信', 'sms_consent'], ['SMS Consent', 'sms_consent'],
    ['SMS Opt-in', 'sms_consent'],
    ['邮件许可', 'email_consent'], ['Email Consent', 'email_consent'],
    ['邮寄许可', 'mail_consent'], ['Mail Consent', 'mail_consent'],
    ['门店', 'store'], ['Store', 'store'],
    ['备注', 'note'], ['Note', 'note'], ['Notes', 'note'], ['Remark', 'note'],
  ];

  it.each(cases)('%s → %s', (header, field) => {
    expect(resolveHeader(header)).toBe(field);
  });

  it('ignores decorations: required markers, colons, padding, case, BOM', () => {
    expect(resolveHeader('*姓名')).toBe('full_name');
    expect(resolveHeader('姓名*')).toBe('full_name');
    expect(resolveHeader('手机号码：')).toBe('phone');
    expect(resolveHeader('Email:')).toBe('email');
    expect(resolveHeader('  PURCHASE_DATE  ')).toBe('purchase_date');
    expect(resolveHeader('\uFEFF姓名')).toBe('full_name');
    expect(resolveHeader('e_mail')).toBe('email');
    expect(resolveHeader('zip-code')).toBe('postcode');
  });

  it('ignores a trailing parenthesised unit or note', () => {
    expect(resolveHeader('姓名(必填)')).toBe('full_name');
    expect(resolveHeader('姓名（必填）')).toBe('full_name');
    expect(resolveHeader('行驶里程(km)')).toBe('mileage');
    expect(resolveHeader('里程（公里）')).toBe('mileage');
    expect(resolveHeader('手机【必填】')).toBe('phone');
    expect(resolveHeader('Mileage (miles)')).toBe('mileage');
  });

  it('handles full-width letters', () => {
    expect(resolveHeader('ＶＩＮ')).toBe('vin');
    expect(resolveHeader('Ｅｍａｉｌ')).toBe('email');
  });

  it('distinguishes title from job title', () => {
    expect(resolveHeader('Title')).toBe('title');
    expect(resolveHeader('Job Title')).toBe('job_title');
  });

  it('returns null for unknown or empty headers', () => {
    expect(resolveHeader('')).toBeNull();
    expect(resolveHeader('   ')).toBeNull();
    expect(resolveHeader('(必填)')).toBeNull();
    expect(resolveHeader('颜色')).toBeNull();
    expect(resolveHeader('favourite colour')).toBeNull();
    expect(resolveHeader('column 7')).toBeNull();
  });
});
