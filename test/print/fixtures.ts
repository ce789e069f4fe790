// Pieces for print tests: the built-in templates with their artwork, a dealer
// as printed, and recipients built in code.
import { readFileSync } from 'node:fs';
import type { RunContext } from '../../src/print/compose';
import { builtinTemplate } from '../../src/templates/builtin';
import type { PieceContext } from '../../src/templates/hbs';
import type { PrintBody } from '../../src/templates/layout';

export const CN_DEALER: RunContext = {
  dealer: {
    name: '福州闽星汽车销售服务有限公司',
    phone: '0591-88888888',
    website: null,
    hours: '9:00–18:00',
    address: { country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路100号', postcode: '350001' },
    reply: {
      department: '市场部',
      name: null,
      address: { country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路100号', postcode: '350001' },
      permit: '（闽）字第0591号',
    },
  },
  campaign: { name: '2027 新春', eventDate: '2027-02-20', offer: null },
};

export function builtin(id: string): { body: PrintBody; images: Record<string, Uint8Array> } {
  const t = builtinTemplate(id);
  if (!t) throw new Error(`no built-in ${id}`);
  const images = Object.fromEntries(Object.entries(t.assetFiles).map(([k, p]) => [k, new Uint8Array(readFileSync(p))]));
  // Asset ids only matter to the database; composing uses the names.
  const assets = Object.fromEntries(Object.keys(images).map((k) => [k, '00000000-0000-4000-8000-000000000000']));
  return { body: { ...t.body, assets }, images };
}

export function cnPiece(i: number, over: Partial<PieceContext['contact']> = {}): PieceContext {
  const token = `T${String(i).padStart(15, '0')}`;
  return {
    ...CN_DEALER,
    piece: { code: token.replace(/(.{4})(?=.)/g, '$1-'), url: `https://dm.example.cn/r/${token}` },
    contact: {
      name: '王小明',
      surname: null,
      gender: 'male',
      title: null,
      kind: 'prior_owner',
      company: null,
      jobTitle: null,
      phone: null,
      email: null,
      language: null,
      birthday: null,
      club: null,
      tier: null,
      joinDate: null,
      address: { country: 'CN', province: '福建省', city: '福州市', district: '台江区', street: `工业路${i}号金山大厦A座1201室`, postcode: String(350001 + i) },
      vehicle: { make: '丰田', model: '凯美瑞', vin: null, purchaseDate: '2021-05-01', insuranceExpiry: null, lastServiceDate: null },
      ...over,
    },
  };
}
