// src/report/xml.ts prints what xmlbuilder2 printed for the same tree (it replaced it in the run's import graph:
// issue 26); xmlbuilder2 stays a devDependency for this comparison only. test/golden/junit.xml, written by
// xmlbuilder2, holds the whole JUnit report to it byte for byte (test/report.test.ts).
import { expect } from 'chai';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { XmlElement, xmlDocument } from '../src/report/xml.js';

/** The same tree through xmlbuilder2, with the options the JUnit reporter used. */
function viaXmlbuilder2(root: XmlElement): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' });
  const add = (parent: XMLBuilder, e: XmlElement): void => {
    const el = parent.ele(e.name, e.attrs);
    for (const c of e.children) if (typeof c === 'string') el.txt(c); else add(el, c);
  };
  add(doc, root);
  return doc.end({ prettyPrint: true, indent: '  ' });
}

const NASTY = ['a & b', 'a &amp; b', '&#38; &#x26; &lt', '<tag attr="x">', "it's > \"quoted\"", 'tab\there\nnew\r\nline', 'bell\u0007nul\u0000esc\u001b', 'lone \uD800 surrogate \uDC00', 'pair 😀 ok', '\uFFFE\uFFFF', '', '  spaced  '];

describe('XML writer (JUnit)', () => {
  it('prints text, attributes and nesting exactly as xmlbuilder2 did', () => {
    for (const s of NASTY) {
      const root = new XmlElement('testsuites', { name: s, n: 3 });
      const suite = root.ele('testsuite', { name: `suite ${s}` });
      suite.ele('properties').ele('property', { name: 'p', value: s });
      suite.ele('testcase', { name: s }).ele('failure', { message: s, type: 'T' }).txt(s);
      suite.ele('testcase', { name: 'empty text' }).ele('system-out').txt('');
      suite.ele('testcase', { name: 'two texts' }).ele('system-out').txt(s).txt('more');
      expect(xmlDocument(root), JSON.stringify(s)).to.equal(viaXmlbuilder2(root));
    }
  });
});
