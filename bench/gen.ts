// Deterministic generator of realistic dealer lists (Chinese names, phones,
// addresses, vehicles) for benchmarks. Seeded: the same N gives the same file.
import { createWriteStream } from 'node:fs';

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAMILY = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'.split('');
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏建华红梅飞鑫波宇浩凯然'.split('');
const PLACES: [string, string, string, string][] = [
  ['福建省', '福州市', '鼓楼区', '350001'],
  ['福建省', '福州市', '台江区', '350004'],
  ['福建省', '厦门市', '思明区', '361001'],
  ['广东省', '广州市', '天河区', '510620'],
  ['广东省', '深圳市', '南山区', '518052'],
  ['北京市', '北京市', '朝阳区', '100020'],
  ['上海市', '上海市', '浦东新区', '200120'],
  ['浙江省', '杭州市', '西湖区', '310012'],
  ['江苏省', '南京市', '鼓楼区', '210008'],
  ['四川省', '成都市', '武侯区', '610041'],
];
const STREETS = '五四路 八一七路 华林路 东街 工业路 建国路 人民路 中山路 解放路 滨江路'.split(' ');
const MODELS = '凯美瑞 卡罗拉 雷凌 RAV4荣放 汉兰达 威兰达 亚洲龙 C-HR 赛那 皇冠陆放'.split(' ');
const TIERS = ['', '', '银卡', '金卡', '钻石卡', '普卡'];
const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

export const HEADER = ['姓名', '性别', '手机', '邮箱', '通讯地址', '邮编', '生日', '车型', '车架号', '购车日期', '保险到期', '会员等级', '短信许可'];

export function* rows(n: number, seed = 42): Generator<string[]> {
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  const date = (y0: number, y1: number) => {
    const y = y0 + Math.floor(r() * (y1 - y0 + 1));
    const m = 1 + Math.floor(r() * 12);
    const d = 1 + Math.floor(r() * 28);
    return `${y}/${m}/${d}`;
  };
  for (let i = 0; i < n; i++) {
    const name = pick(FAMILY) + pick(GIVEN) + (r() < 0.6 ? pick(GIVEN) : '');
    const phone = `1${3 + Math.floor(r() * 7)}${String(100000000 + i).slice(-9)}`;
    const [prov, city, dist, pc] = pick(PLACES);
    const owner = r() < 0.7;
    let vin = '';
    if (owner) for (let k = 0; k < 17; k++) vin += VIN_CHARS[Math.floor(r() * VIN_CHARS.length)];
    yield [
      name,
      r() < 0.5 ? '男' : '女',
      r() < 0.3 ? `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}` : phone,
      r() < 0.3 ? `user${i}@example.cn` : '',
      `${prov}${city}${dist}${pick(STREETS)}${1 + Math.floor(r() * 300)}号${1 + Math.floor(r() * 30)}栋${1 + Math.floor(r() * 30)}0${1 + Math.floor(r() * 4)}室`,
      pc,
      date(1960, 2002),
      owner ? pick(MODELS) : '',
      vin,
      owner ? date(2012, 2025) : '',
      owner ? date(2026, 2027) : '',
      pick(TIERS),
      r() < 0.8 ? '是' : '否',
    ];
  }
}

/** Write an N-row CSV file; returns its size in bytes. */
export async function writeCsv(path: string, n: number, seed = 42): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let buf = HEADER.join(',') + '\n';
  for (const row of rows(n, seed)) {
    buf += row.join(',') + '\n';
    if (buf.length > 1 << 16) {
      bytes += Buffer.byteLength(buf);
      if (!out.write(buf)) await new Promise<void>((res) => out.once('drain', () => res()));
      buf = '';
    }
  }
  bytes += Buffer.byteLength(buf);
  out.write(buf);
  await new Promise<void>((res) => out.end(res));
  return bytes;
}
