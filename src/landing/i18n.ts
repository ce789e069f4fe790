// What recipients read, in zh-CN and en: the page follows the contact's
// preferred language (?lang= switches it).
import type { Locale } from '../templates/hbs';

export type { Locale };

export function pickLocale(wanted: string | null | undefined, contactLanguage: string | null | undefined): Locale {
  const w = (wanted ?? contactLanguage ?? '').toLowerCase();
  return w.startsWith('en') ? 'en' : 'zh-CN';
}

const zh = {
  hello: (name: string) => `${name}，您好！`,
  intro: '感谢您关注我们。欢迎预约到店试驾，选一个您方便的时间即可。',
  address: '地址',
  hours: '营业时间',
  phone: '电话',
  bookTitle: '预约试驾',
  model: '意向车型',
  anyModel: '到店再定',
  slot: '日期和时段',
  full: '已满',
  seatsLeft: (n: number) => `余 ${n} 位`,
  name: '姓名',
  mobile: '手机号码',
  submit: '确认预约',
  noSlots: '近期没有可预约的时段，请致电我们。',
  optOutLink: '不想再收到我们的信息？点此退订',
  surveyLink: '您的意见很重要：在线填写问卷',
  otherLanguage: 'English',
  confirmedTitle: '预约成功',
  confirmed: (when: string) => `您已预约 ${when} 到店试驾。`,
  confirmationSent: '确认短信/邮件已发送，附有日历文件。',
  manageHint: '如需改期或取消，请保存本页链接（也在确认短信中）。',
  reschedule: '改期',
  cancel: '取消预约',
  cancelledTitle: '预约已取消',
  cancelled: '您的试驾预约已取消。欢迎随时再约。',
  attended: '感谢您到店试驾。',
  errors: {
    past: '所选日期已过，请选择今天以后的时段。',
    too_far: '所选日期太远，请选择近期的时段。',
    closed: '所选日期不营业（休息日或节假日），请另选一天。',
    not_a_slot: '所选时间不是可预约的时段，请从列表中选择。',
    invalid: '请选择日期和时段。',
    full: '该时段已约满，请另选一个时段。',
    phone: '手机号码无效，请检查后重新填写。',
    name: '请填写姓名（不超过 50 个字）。',
    model: '请从列表中选择车型。',
    form: '页面已过期，请刷新后重试。',
    locked: '该预约已不能修改。',
  },
  notFoundTitle: '链接无效或已过期',
  notFound: '此链接无效或已过期。如需预约试驾，请直接致电经销商。',
  tooManyTitle: '请求过于频繁',
  tooMany: '请求过于频繁，请稍后再试。',
  tooLargeTitle: '提交内容过大',
  tooLarge: '提交的内容过大。',
  forbiddenTitle: '无法提交',
  forbidden: '此表单无法从其他网站提交。请返回页面重试。',
  optOutTitle: '退订',
  optOutIntro: '选择不再接收的信息：',
  channels: { mail: '邮寄的信件和卡片', sms: '短信', email: '电子邮件' },
  optOutSubmit: '确认退订',
  optedOutTitle: '已退订',
  optedOut: '您已退订，立即生效。',
  smsConfirm: (dealer: string, when: string, link: string) => `【${dealer}】您已预约${when}到店试驾。改期或取消：${link}`,
  emailSubject: (when: string) => `试驾预约确认：${when}`,
  icsSummary: (dealer: string) => `试驾 · ${dealer}`,
};

const en: typeof zh = {
  hello: (name: string) => `Hello ${name},`,
  intro: 'Thank you for your interest. Book a test drive at a time that suits you.',
  address: 'Address',
  hours: 'Opening hours',
  phone: 'Phone',
  bookTitle: 'Book a test drive',
  model: 'Model of interest',
  anyModel: 'Decide at the showroom',
  slot: 'Date and time',
  full: 'full',
  seatsLeft: (n: number) => `${n} left`,
  name: 'Name',
  mobile: 'Mobile number',
  submit: 'Book now',
  noSlots: 'No slots are open soon; please call us.',
  optOutLink: 'Stop hearing from us? Opt out here',
  surveyLink: 'Your opinion matters: answer the survey online',
  otherLanguage: '中文',
  confirmedTitle: 'Booked',
  confirmed: (when: string) => `Your test drive is booked for ${when}.`,
  confirmationSent: 'A confirmation with a calendar file is on its way.',
  manageHint: 'To reschedule or cancel, keep this page’s link (it is also in your confirmation).',
  reschedule: 'Reschedule',
  cancel: 'Cancel booking',
  cancelledTitle: 'Booking cancelled',
  cancelled: 'Your test drive is cancelled. You are welcome to book again any time.',
  attended: 'Thank you for coming in for your test drive.',
  errors: {
    past: 'That date has passed; please choose a slot from today on.',
    too_far: 'That date is too far ahead; please choose a sooner slot.',
    closed: 'We are closed on that day (a rest day or holiday); please choose another.',
    not_a_slot: 'That time is not a bookable slot; please pick one from the list.',
    invalid: 'Please choose a date and time.',
    full: 'That slot is full; please choose another.',
    phone: 'That mobile number is not valid; please check it.',
    name: 'Please enter your name (50 characters at most).',
    model: 'Please choose a model from the list.',
    form: 'This page has expired; please reload it and try again.',
    locked: 'This booking can no longer be changed.',
  },
  notFoundTitle: 'Link not valid',
  notFound: 'This link is not valid or has expired. To book a test drive, please call the dealer.',
  tooManyTitle: 'Too many requests',
  tooMany: 'Too many requests; please try again shortly.',
  tooLargeTitle: 'Too large',
  tooLarge: 'What was sent is too large.',
  forbiddenTitle: 'Cannot submit',
  forbidden: 'This form cannot be submitted from another site. Please go back and try again.',
  optOutTitle: 'Opt out',
  optOutIntro: 'Choose what you no longer want to receive:',
  channels: { mail: 'Letters and cards by post', sms: 'Text messages', email: 'Email' },
  optOutSubmit: 'Opt out',
  optedOutTitle: 'Opted out',
  optedOut: 'You are opted out, effective now.',
  smsConfirm: (dealer: string, when: string, link: string) => `${dealer}: your test drive is booked for ${when}. Reschedule or cancel: ${link}`,
  emailSubject: (when: string) => `Test drive booked: ${when}`,
  icsSummary: (dealer: string) => `Test drive at ${dealer}`,
};

export type Messages = typeof zh;
export type BookingProblem = keyof Messages['errors'];

export function messages(locale: Locale): Messages {
  return locale === 'en' ? en : zh;
}

const WEEKDAYS_ZH = ['一', '二', '三', '四', '五', '六', '日'];
const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "3月5日 周四" / "Thu, Mar 5". */
export function dayLabel(date: string, weekday: number, locale: Locale): string {
  const [, m, d] = date.split('-').map(Number) as [number, number, number];
  return locale === 'en' ? `${WEEKDAYS_EN[weekday - 1]}, ${MONTHS_EN[m - 1]} ${d}` : `${m}月${d}日 周${WEEKDAYS_ZH[weekday - 1]}`;
}

/** "3月5日 周四 10:00" / "Thu, Mar 5 10:00". */
export function slotLabel(date: string, weekday: number, time: string, locale: Locale): string {
  return `${dayLabel(date, weekday, locale)} ${time}`;
}
