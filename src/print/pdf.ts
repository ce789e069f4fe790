// One print-ready PDF file of a run: PDF/X-4 (PDF 1.6, CMYK output intent,
// XMP identification), TrimBox and BleedBox on every page, optional crop marks,
// fonts embedded and subset once per file. The artwork every piece shares is
// one form XObject per panel, drawn by reference on every page, so a file grows
// with the variable data only.
import { deflateSync } from 'node:zlib';

/** Deflate into an exactly sized array (zlib's result can pin a 16 KiB chunk per stream). */
function deflate(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(deflateSync(data));
}
import {
  PDFDocument,
  PDFHeader,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFRawStream,
  PDFString,
  PDFDict,
  type PDFRef,
} from 'pdf-lib';
import type { PreparedTemplate } from './compose';
import { mm, n, toContent, type ContentResources, type Op } from './drawing';
import { embedFace, type EmbeddedFont, type FontFace } from './fonts';
import type { PreparedImage } from './images';

export interface OutputIntent {
  /** ICC output profile (CMYK). */
  profile: Uint8Array;
  identifier: string;
  info: string;
}

export interface PrintFileOptions {
  template: PreparedTemplate;
  images: Record<string, PreparedImage>;
  outputIntent: OutputIntent;
  cropMarks: boolean;
  title: string;
  createdAt: Date;
  /** Seed for the document id and font subset tags: same input, same bytes. */
  seed: string;
}

export interface PageGeometry {
  /** Media size in points. */
  width: number;
  height: number;
  /** Offset of the trim's bottom-left corner within the media. */
  margin: number;
  trim: { width: number; height: number };
  bleed: number;
}

export function geometry(t: PreparedTemplate, cropMarks: boolean): PageGeometry {
  const bleed = mm(t.layout.bleed);
  const margin = cropMarks ? bleed + mm(8) : bleed;
  const trim = { width: mm(t.layout.width), height: mm(t.layout.height) };
  return { width: trim.width + 2 * margin, height: trim.height + 2 * margin, margin, trim, bleed };
}

const REGISTRATION = '1 1 1 1 K';

function cropMarks(g: PageGeometry): string {
  const off = g.bleed + mm(1);
  const len = mm(5);
  const { width: W, height: H } = g.trim;
  const lines: string[] = [`${REGISTRATION} 0.25 w`];
  for (const [x, y, sx, sy] of [[0, 0, -1, -1], [W, 0, 1, -1], [0, H, -1, 1], [W, H, 1, 1]] as const) {
    lines.push(`${n(x + sx * off)} ${n(y)} m ${n(x + sx * (off + len))} ${n(y)} l S`);
    lines.push(`${n(x)} ${n(y + sy * off)} m ${n(x)} ${n(y + sy * (off + len))} l S`);
  }
  return lines.join('\n');
}

function xmp(title: string, created: string, docId: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">${esc(title)}</rdf:li></rdf:Alt></dc:title>
   <xmp:CreateDate>${created}</xmp:CreateDate>
   <xmp:ModifyDate>${created}</xmp:ModifyDate>
   <xmp:MetadataDate>${created}</xmp:MetadataDate>
   <xmp:CreatorTool>dealer-mail print run</xmp:CreatorTool>
   <xmpMM:DocumentID>uuid:${docId}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:${docId}</xmpMM:InstanceID>
   <xmpMM:VersionID>1</xmpMM:VersionID>
   <xmpMM:RenditionClass>default</xmpMM:RenditionClass>
   <pdf:Producer>dealer-mail</pdf:Producer>
   <pdf:Trapped>False</pdf:Trapped>
   <pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
}

function seedHex(seed: string): string {
  // 128-bit FNV-style spread of the seed; an identifier, not a secret.
  let out = '';
  for (let k = 0; k < 4; k++) {
    let h = 2166136261 ^ k;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Receives a file's bytes in order, in chunks of about CHUNK bytes. */
export type Sink = (chunk: Uint8Array) => void;
const CHUNK = 256 * 1024;

/**
 * The file is written as it grows: each page (content stream and page
 * dictionary) is serialized the moment it is added and handed to the sink in
 * 256 KiB chunks, so memory stays flat whatever the number of pieces. pdf-lib
 * builds the objects shared by the file (fonts, subset at the end, artwork,
 * forms, output intent), which are written after the pages, followed by the
 * cross-reference table.
 */
export class PrintFile {
  readonly geometry: PageGeometry;
  private pageCount = 0;
  private readonly kids: PDFRef[] = [];
  private readonly pageHead: string;
  private buf = new Uint8Array(CHUNK + 64 * 1024);
  private used = 0;
  private written = 0;
  /** Byte offset of each object, by object number. */
  private offsets: number[] = [];

  private constructor(
    private readonly doc: PDFDocument,
    private readonly opts: PrintFileOptions,
    private readonly fonts: Map<FontFace, { name: string; font: EmbeddedFont }>,
    private readonly imageNames: Map<string, string>,
    private readonly pageResources: PDFRef,
    private readonly forms: string[],
    private readonly sink: Sink,
  ) {
    this.geometry = geometry(opts.template, opts.cropMarks);
    // Header, with a binary comment line so transfer programs treat the file as binary.
    this.write(Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x36, 0x0a, 0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a]));
    const g = this.geometry;
    const box = (x: number, y: number, w: number, h: number) => `[${n(x)} ${n(y)} ${n(x + w)} ${n(y + h)}]`;
    this.pageHead =
      `<< /Type /Page /Parent ${doc.catalog.get(PDFName.of('Pages'))!.toString()}` +
      ` /MediaBox ${box(0, 0, g.width, g.height)}` +
      ` /BleedBox ${box(g.margin - g.bleed, g.margin - g.bleed, g.trim.width + 2 * g.bleed, g.trim.height + 2 * g.bleed)}` +
      ` /TrimBox ${box(g.margin, g.margin, g.trim.width, g.trim.height)}` +
      ` /Resources ${pageResources.toString()} /Contents `;
  }

  static async create(opts: PrintFileOptions, sink: Sink): Promise<PrintFile> {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const ctx = doc.context;
    ctx.header = PDFHeader.forVersion(1, 6);
    const t = opts.template;
    const g = geometry(t, opts.cropMarks);

    const fonts = new Map<FontFace, { name: string; font: EmbeddedFont }>();
    let fi = 0;
    for (const face of ['regular', 'bold'] as const) {
      if (!t.faces.has(face)) continue;
      fonts.set(face, { name: `F${fi++}`, font: await embedFace(doc, face, opts.seed) });
    }

    const imageNames = new Map<string, string>();
    const xobjects: Record<string, PDFRef> = {};
    let ii = 0;
    for (const name of t.images) {
      const img = opts.images[name];
      if (!img) throw new Error(`image "${name}" was not prepared`);
      const dict: Record<string, unknown> = {
        Type: 'XObject',
        Subtype: 'Image',
        Width: img.width,
        Height: img.height,
        ColorSpace: 'DeviceCMYK',
        BitsPerComponent: 8,
        Filter: img.filter === 'dct' ? 'DCTDecode' : 'FlateDecode',
      };
      if (img.inverted) dict.Decode = [1, 0, 1, 0, 1, 0, 1, 0];
      if (img.alpha) {
        const mask = PDFRawStream.of(
          ctx.obj({ Type: 'XObject', Subtype: 'Image', Width: img.width, Height: img.height, ColorSpace: 'DeviceGray', BitsPerComponent: 8, Filter: 'FlateDecode' }) as PDFDict,
          img.alpha,
        );
        dict.SMask = ctx.register(mask);
      }
      const key = `Im${ii++}`;
      xobjects[key] = ctx.register(PDFRawStream.of(ctx.obj(dict as Record<string, never>), img.data));
      imageNames.set(name, key);
    }

    const fontDict: Record<string, PDFRef> = {};
    for (const { name, font } of fonts.values()) fontDict[name] = font.pdfFont.ref;
    const formResources = ctx.register(ctx.obj({ Font: fontDict, XObject: xobjects }));

    const res = resourcesFor(fonts, imageNames);
    const forms: string[] = [];
    const formRefs: Record<string, PDFRef> = {};
    t.pages.forEach((p, i) => {
      const content = (opts.cropMarks ? `${cropMarks(g)}\n` : '') + toContent(p.shared, res);
      const bbox = [-g.margin, -g.margin, g.trim.width + g.margin, g.trim.height + g.margin];
      const form = PDFRawStream.of(
        ctx.obj({ Type: 'XObject', Subtype: 'Form', BBox: bbox, Resources: formResources, Filter: 'FlateDecode' }) as PDFDict,
        deflate(content),
      );
      const key = `Fm${i}`;
      formRefs[key] = ctx.register(form);
      forms.push(key);
    });
    const pageResources = ctx.register(ctx.obj({ Font: fontDict, XObject: { ...xobjects, ...formRefs } }));

    // PDF/X-4 identification: output intent, Info keys, XMP, document id.
    const icc = PDFRawStream.of(ctx.obj({ N: 4, Filter: 'FlateDecode' }) as PDFDict, deflate(opts.outputIntent.profile));
    const intent = ctx.obj({
      Type: 'OutputIntent',
      S: 'GTS_PDFX',
      OutputConditionIdentifier: PDFString.of(opts.outputIntent.identifier),
      OutputCondition: PDFString.of(opts.outputIntent.info),
      RegistryName: PDFString.of('http://www.color.org'),
      Info: PDFString.of(opts.outputIntent.info),
      DestOutputProfile: ctx.register(icc),
    });
    doc.catalog.set(PDFName.of('OutputIntents'), ctx.obj([intent]));
    const created = opts.createdAt;
    const id = seedHex(opts.seed);
    const docId = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
    const meta = PDFRawStream.of(
      ctx.obj({ Type: 'Metadata', Subtype: 'XML' }) as PDFDict,
      new TextEncoder().encode(xmp(opts.title, created.toISOString().replace(/\.\d{3}Z$/, 'Z'), docId)),
    );
    doc.catalog.set(PDFName.of('Metadata'), ctx.register(meta));
    doc.setTitle(opts.title);
    doc.setProducer('dealer-mail');
    doc.setCreator('dealer-mail print run');
    doc.setCreationDate(created);
    doc.setModificationDate(created);
    const info = ctx.lookup(ctx.trailerInfo.Info, PDFDict);
    info.set(PDFName.of('GTS_PDFXVersion'), PDFString.of('PDF/X-4'));
    info.set(PDFName.of('Trapped'), PDFName.of('False'));
    ctx.trailerInfo.ID = ctx.obj([PDFHexString.of(id), PDFHexString.of(id)]);

    return new PrintFile(doc, opts, fonts, imageNames, pageResources, forms, sink);
  }

  get pages(): number {
    return this.pageCount;
  }

  private write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.flushChunk(bytes.length);
    if (bytes.length > this.buf.length) {
      this.sink(bytes.slice());
    } else {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.written += bytes.length;
    if (this.used >= CHUNK) this.flushChunk(0);
  }

  private flushChunk(room: number): void {
    if (this.used > 0) this.sink(this.buf.slice(0, this.used));
    this.used = 0;
    if (room > this.buf.length) this.buf = new Uint8Array(room);
  }

  private writeObject(ref: PDFRef, ...body: Uint8Array[]): void {
    this.offsets[ref.objectNumber] = this.written;
    this.write(latin1(`${ref.objectNumber} 0 obj\n`));
    for (const b of body) this.write(b);
    this.write(latin1('\nendobj\n'));
  }

  /** Add one piece: one page per panel of the layout, each over its shared artwork. */
  addPiece(pages: Op[][]): void {
    const ctx = this.doc.context;
    const g = this.geometry;
    const res = resourcesFor(this.fonts, this.imageNames);
    pages.forEach((ops, i) => {
      const content = deflate(`q 1 0 0 1 ${n(g.margin)} ${n(g.margin)} cm /${this.forms[i]} Do\n${toContent(ops, res)}\nQ`);
      const contentRef = ctx.nextRef();
      this.writeObject(contentRef, latin1(`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`), content, latin1('\nendstream'));
      const pageRef = ctx.nextRef();
      this.writeObject(pageRef, latin1(`${this.pageHead}${contentRef.toString()} >>`));
      this.kids.push(pageRef);
      this.pageCount++;
    });
  }

  /** Write the shared objects, the cross-reference table and the trailer; returns the file size. */
  async finish(): Promise<number> {
    const ctx = this.doc.context;
    const tree = this.doc.catalog.Pages();
    tree.set(PDFName.of('Kids'), ctx.obj(this.kids));
    tree.set(PDFName.of('Count'), PDFNumber.of(this.kids.length));
    // Embeds the fonts, subset to the glyphs the pages used.
    await this.doc.flush();
    for (const [ref, obj] of ctx.enumerateIndirectObjects()) {
      const bytes = new Uint8Array(obj.sizeInBytes());
      obj.copyBytesInto(bytes, 0);
      this.writeObject(ref, bytes);
    }
    const size = ctx.largestObjectNumber + 1;
    const xrefAt = this.written;
    let xref = `xref\n0 ${size}\n0000000000 65535 f\r\n`;
    for (let i = 1; i < size; i++) {
      const at = this.offsets[i];
      xref += at === undefined ? '0000000000 65535 f\r\n' : `${String(at).padStart(10, '0')} 00000 n\r\n`;
    }
    const t = ctx.trailerInfo;
    const trailer = `trailer\n<< /Size ${size} /Root ${t.Root!.toString()} /Info ${t.Info!.toString()} /ID ${t.ID!.toString()} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    this.write(latin1(xref + trailer));
    this.flushChunk(0);
    return this.written;
  }
}

/** Render a whole file into memory (proofs and other small files). */
export async function fileBytes(opts: PrintFileOptions, fill: (file: PrintFile) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const file = await PrintFile.create(opts, (c) => chunks.push(c));
  fill(file);
  const size = await file.finish();
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function resourcesFor(fonts: Map<FontFace, { name: string; font: EmbeddedFont }>, images: Map<string, string>): ContentResources {
  return {
    font: (face) => {
      const f = fonts.get(face);
      if (!f) throw new Error(`face ${face} is not embedded`);
      return f.name;
    },
    encode: (face, text) => fonts.get(face)!.font.hex(text),
    image: (name) => {
      const k = images.get(name);
      if (!k) throw new Error(`image ${name} is not embedded`);
      return k;
    },
  };
}

