/**
 * Decimal rounding on the digits (not on binary floats), so 1.005 rounds to 1.01 at scale 2.
 * Rounding is half away from zero.
 */

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export type DecimalResult = { ok: true; value: number } | { ok: false; reason: string };

export function toDecimal(value: unknown, precision: number, scale: number): DecimalResult {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: 'not a finite number' };
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return { ok: false, reason: 'not a number' };
  }
  const m = DECIMAL.exec(text);
  if (!m || (!m[2] && !m[3])) return { ok: false, reason: 'not a decimal number' };
  const negative = m[1] === '-';
  const intDigits = m[2] ?? '';
  const fracDigits = m[3] ?? '';
  const exponent = m[4] ? Number(m[4]) : 0;
  if (Math.abs(exponent) > 400) return { ok: false, reason: 'out of range' };

  let digits = intDigits + fracDigits;
  let point = intDigits.length + exponent; // position of the decimal point within `digits`
  // Normalise so that 0 <= point <= digits.length.
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);

  const keep = point + scale;
  let kept = digits.slice(0, keep).padEnd(keep, '0');
  const next = digits.charCodeAt(keep);
  if (next >= 53 /* '5' */ && next <= 57) {
    // Round the kept digits up by one unit in the last place.
    const chars = kept.split('');
    let i = chars.length - 1;
    while (i >= 0 && chars[i] === '9') {
      chars[i] = '0';
      i--;
    }
    if (i >= 0) {
      chars[i] = String(Number(chars[i]) + 1);
    } else {
      chars.unshift('1');
      point++;
    }
    kept = chars.join('');
  }
  let integer = kept.slice(0, kept.length - scale).replace(/^0+/, '');
  const fraction = kept.slice(kept.length - scale);
  if (integer.length > precision - scale) {
    return {
      ok: false,
      reason: `has ${integer.length} digits before the decimal point; decimal(${precision},${scale}) allows ${precision - scale}`,
    };
  }
  if (integer === '') integer = '0';
  const result = Number(`${negative ? '-' : ''}${integer}${scale ? `.${fraction}` : ''}`);
  return { ok: true, value: Object.is(result, -0) ? 0 : result };
}
