// The staff app's two languages. Words used on many pages live here; a page's
// own sentences sit next to it as tr(locale, '中文', 'English') pairs, so a
// translation is never far from the markup that shows it.
import type { Role } from '../http/context';

export type WebLocale = 'zh-CN' | 'en';

export function tr(locale: WebLocale, zh: string, en: string): string {
  return locale === 'en' ? en : zh;
}

const zh = {
  appName: '车商直邮',
  nav: { lists: '名单', contacts: '客户', segments: '客群', templates: '模板', campaigns: '营销活动', surveys: '问卷录入', reports: '效果报表', print: '印刷任务', users: '用户', audit: '审计日志' },
  roles: { admin: '管理员', marketer: '市场专员', manager: '经理', printer: '印刷厂' } as Record<Role, string>,
  signOut: '退出',
  signIn: '登录',
  email: '邮箱',
  password: '密码',
  save: '保存',
  cancel: '取消',
  create: '新建',
  search: '搜索',
  next: '下一页',
  previous: '上一页',
  none: '暂无',
  loading: '加载中…',
  exportCsv: '导出 CSV',
  refusedTitle: '无权访问',
  refused: (role: string) => `您的角色（${role}）不能使用此页面。`,
  errorTitle: '出错了',
  notFoundTitle: '未找到',
  notFound: '此页面或记录不存在，或不属于您的经销商。',
  otherLanguage: 'English',
};

const en: typeof zh = {
  appName: 'Dealer Mail',
  nav: { lists: 'Lists', contacts: 'Contacts', segments: 'Segments', templates: 'Templates', campaigns: 'Campaigns', surveys: 'Survey entry', reports: 'Reports', print: 'Print jobs', users: 'Users', audit: 'Audit log' },
  roles: { admin: 'Admin', marketer: 'Marketer', manager: 'Manager', printer: 'Printer' },
  signOut: 'Sign out',
  signIn: 'Sign in',
  email: 'Email',
  password: 'Password',
  save: 'Save',
  cancel: 'Cancel',
  create: 'Create',
  search: 'Search',
  next: 'Next',
  previous: 'Previous',
  none: 'None yet',
  loading: 'Loading…',
  exportCsv: 'Export CSV',
  refusedTitle: 'Not allowed',
  refused: (role: string) => `Your role (${role}) cannot use this page.`,
  errorTitle: 'Something went wrong',
  notFoundTitle: 'Not found',
  notFound: 'This page or record does not exist, or belongs to another dealer.',
  otherLanguage: '中文',
};

export function words(locale: WebLocale): typeof zh {
  return locale === 'en' ? en : zh;
}
