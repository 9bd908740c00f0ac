// The few XML elements JUnit needs, pretty-printed as xmlbuilder2 prints them (test/xml.test.ts renders the same
// trees with both and compares). xmlbuilder2 and its DOM cost the harness ~14 MiB of RSS from the first line of
// every run, for one file written at the end (issue 26; README "Speed and memory").

/** An element: attributes in insertion order, then either text or child elements. */
export class XmlElement {
  readonly children: (XmlElement | string)[] = [];
  constructor(
    readonly name: string,
    readonly attrs: Record<string, string | number> = {},
  ) {}

  /** Appends a child element and returns it. */
  ele(name: string, attrs: Record<string, string | number> = {}): XmlElement {
    const e = new XmlElement(name, attrs);
    this.children.push(e);
    return e;
  }

  /** Appends text and returns this element. */
  txt(text: string): this {
    this.children.push(text);
    return this;
  }
}

/** Drops what XML 1.0 cannot hold: C0 controls but tab, newline and return, U+FFFE/U+FFFF, lone surrogates. */
export function xmlChars(s: string): string {
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

// An ampersand that already starts an entity is kept, as xmlbuilder2 keeps it.
const AMP = /&(?![A-Za-z]+;|#\d+;)/g;
const text = (s: string) => xmlChars(s).replace(AMP, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const attr = (v: string | number) => text(String(v)).replace(/"/g, '&quot;');

function render(e: XmlElement, level: number, out: string[]): void {
  const pad = '  '.repeat(level);
  const open = `<${e.name}${Object.entries(e.attrs).map(([k, v]) => ` ${k}="${attr(v)}"`).join('')}`;
  const texts = e.children.every((c) => typeof c === 'string');
  if (texts && e.children.every((c) => xmlChars(c as string) === '')) out.push(`${pad}${open}/>`);
  else if (texts) out.push(`${pad}${open}>${e.children.map((c) => text(c as string)).join('')}</${e.name}>`);
  else {
    out.push(`${pad}${open}>`);
    for (const c of e.children) {
      if (typeof c === 'string') out.push(`${'  '.repeat(level + 1)}${text(c)}`);
      else render(c, level + 1, out);
    }
    out.push(`${pad}</${e.name}>`);
  }
}

/** The document: declaration, then the root element, two spaces per level, no newline at the end. */
export function xmlDocument(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  render(root, 0, out);
  return out.join('\n');
}
