// QR codes: the module matrix (error correction M). ./drawing.ts draws it as
// vector paths, one rectangle per horizontal run of dark modules, inside a
// 4-module white quiet zone.
import QRCode from 'qrcode';

export const QUIET_ZONE = 4;
/** Smallest printed size, quiet zone included. */
export const MIN_QR_MM = 20;

export interface QrMatrix {
  size: number;
  /** Row-major, 1 = dark. */
  data: Uint8Array;
}

export function qrMatrix(text: string): QrMatrix {
  const code = QRCode.create(text, { errorCorrectionLevel: 'M' });
  return { size: code.modules.size, data: code.modules.data as unknown as Uint8Array };
}
