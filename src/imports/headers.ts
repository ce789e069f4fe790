// Maps the free-form column headers dealers put in their spreadsheets
// (Chinese or English, with decorations such as "*" or "(必填)") to the
// canonical import fields.

import { cleanText } from '../contacts/normalize';

export const IMPORT_FIELDS = [
  'full_name',
  'family_name',
  'given_name',
  'gender',
  'title',
  'birthday',
  'language',
  'phone',
  'phone2',
  'email',
  'address',
  'country',
  'province',
  'city',
  'district',
  'street',
  'postcode',
  'company',
  'job_title',
  'fleet_size',
  'club',
  'tier',
  'join_date',
  'kind',
  'vin',
  'make',
  'model',
  'purchase_date',
  'last_service_date',
  'mileage',
  'insurance_expiry',
  'sms_consent',
  'email_consent',
  'mail_consent',
  'store',
  'note',
] as const;

export type ImportField = (typeof IMPORT_FIELDS)[number];

// Canonical field names are always accepted too; they are added below.
export const HEADER_SYNONYMS: Readonly<Record<ImportField, readonly string[]>> = {
  full_name: ['姓名', '客户名称', '客户姓名', '名字', '联系人', '联系人姓名', '车主姓名', 'name', 'full name', 'customer name', 'contact name', 'contact'],
  family_name: ['姓', '姓氏', 'last name', 'lastname', 'surname', 'family name'],
  given_name: ['名', 'first name', 'firstname', 'given name', 'forename'],
  gender: ['性别', 'gender', 'sex'],
  title: ['称谓', '称呼', 'title', 'salutation', 'prefix'],
  birthday: ['生日', '出生日期', '出生年月日', 'birthday', 'birth date', 'birthdate', 'date of birth', 'dob'],
  language: ['语言', '首选语言', 'language', 'preferred language'],
  phone: [
    '手机', '手机号', '手机号码', '电话', '电话号码', '联系电话', '联系方式', '移动电话',
    'mobile', 'mobile phone', 'mobile number', 'phone', 'phone number', 'cell', 'cell phone',
    'cellphone', 'tel', 'telephone',
  ],
  phone2: ['备用电话', '其他电话', '固话', '固定电话', '座机', '办公电话', 'phone2', 'phone 2', 'alternate phone', 'home phone', 'work phone'],
  email: ['邮箱', '电子邮箱', '电子邮件', '邮箱地址', 'email', 'e-mail', 'email address', 'mail'],
  address: ['地址', '通讯地址', '联系地址', '家庭地址', '邮寄地址', '收件地址', 'address', 'mailing address', 'full address'],
  country: ['国家', '国家/地区', 'country', 'country code'],
  province: ['省', '省份', '省市', 'state', 'province', 'region'],
  city: ['市', '城市', '地市', 'city', 'town'],
  district: ['区', '区县', '县区', '区/县', 'district', 'county'],
  street: ['街道', '详细地址', '街道地址', 'street', 'street address', 'address line 1', 'address1', 'address 1'],
  postcode: ['邮编', '邮政编码', 'postcode', 'post code', 'postal code', 'zip', 'zip code', 'zipcode'],
  company: ['公司', '单位', '公司名称', '单位名称', '企业名称', 'company', 'company name', 'organization', 'organisation', 'employer'],
  job_title: ['职务', '职位', '职称', 'job title', 'position', 'occupation'],
  fleet_size: ['车队规模', '车辆数', '车辆数量', 'fleet size', 'fleet'],
  club: ['俱乐部', '车友会', 'club', 'club name'],
  tier: ['会员等级', '等级', '会员卡', '卡等级', '会员级别', 'tier', 'level', 'membership', 'membership level', 'member tier'],
  join_date: ['入会日期', '入会时间', '注册日期', 'join date', 'joined', 'member since'],
  kind: ['客户类型', '类型', '客户类别', 'kind', 'type', 'customer type', 'segment'],
  vin: ['vin', 'vin码', '车架号', '车辆识别代码', '车辆识别号', 'vin number', 'vehicle identification number'],
  make: ['品牌', '厂牌', 'make', 'brand'],
  model: ['车型', '车辆型号', '车系', 'model', 'vehicle model'],
  purchase_date: ['购车日期', '购买日期', '开票日期', '购车时间', '交车日期', 'purchase date', 'date of purchase', 'sale date'],
  last_service_date: ['上次保养日期', '最近保养', '最近保养日期', '上次保养', 'last service', 'last service date', 'last serviced'],
  mileage: ['里程', '行驶里程', '公里数', '里程数', 'mileage', 'odometer'],
  insurance_expiry: ['保险到期', '保险到期日', '保险到期日期', '保险截止日期', 'insurance expiry', 'insurance expiry date', 'insurance expiration', 'insurance due'],
  sms_consent: ['短信许可', '允许短信', '短信同意', '接收短信', 'sms consent', 'sms opt-in', 'sms optin', 'sms'],
  email_consent: ['邮件许可', '允许邮件', '接收邮件', 'email consent', 'email opt-in', 'email optin'],
  mail_consent: ['邮寄许可', '允许邮寄', '接收邮寄', 'mail consent', 'mail opt-in', 'postal consent', 'direct mail consent'],
  store: ['门店', '经销商', '店铺', '所属门店', 'store', 'dealer', 'dealership', 'branch'],
  note: ['备注', '说明', 'note', 'notes', 'remark', 'remarks', 'comment', 'comments'],
};

// "(必填)", "(km)", "[required]", "【必填】" — full-width brackets are already
// half-width here except 【】, which have no ASCII counterpart.
const TRAILING_UNIT = /\s*(?:\([^()]*\)|\[[^\]]*\]|【[^】]*】)$/;
const DECORATION_G = /[\s_\-*:：]+/g;

function headerKey(header: string): string {
  const s = cleanText(header);
  if (s === null) return '';
  return s.toLowerCase().replace(TRAILING_UNIT, '').replace(DECORATION_G, '');
}

const LOOKUP = new Map<string, ImportField>();
for (const field of IMPORT_FIELDS) {
  LOOKUP.set(headerKey(field), field);
  for (const synonym of HEADER_SYNONYMS[field]) LOOKUP.set(headerKey(synonym), field);
}

export function resolveHeader(header: string): ImportField | null {
  const key = headerKey(header);
  return key === '' ? null : (LOOKUP.get(key) ?? null);
}

/**
 * The index of the first column whose header is one of `names` (compared the
 * way list headers are: case, spacing, underscores, dashes and a trailing
 * "(必填)" or "(km)" aside); -1 when none is.
 */
export function findColumn(header: readonly string[], names: readonly string[]): number {
  const wanted = new Set(names.map(headerKey));
  return header.findIndex((h) => wanted.has(headerKey(h)));
}
