// fixtures/critest-1.36-fields.yaml (a reading of critest v1.36.0 by field) must stay in step with the fields the
// kubelet sends (fixtures/kubelet-fields.yaml), and its totals must add up the way ours do.
import { expect } from 'chai';
import { buildFieldMap, loadKubeletFields } from '../src/coverage/map.js';
import { CRITEST_KINDS, critestTotals, loadCritestFields, oursTotals, renderVsCritest } from '../src/coverage/critest.js';

describe('critest field reading (fixtures/critest-1.36-fields.yaml)', () => {
  const reading = loadCritestFields();

  it('covers exactly the fields the kubelet sends, each once', () => {
    const names = reading.fields.map((f) => f.field);
    expect(names.filter((f, i) => names.indexOf(f) !== i), 'listed twice').to.deep.equal([]);
    expect([...names].sort()).to.deep.equal(loadKubeletFields().map((k) => k.field).sort());
    expect(reading.release).to.equal('v1.36.0');
  });

  it('gives each field a known kind, and the specs that reach it unless critest never sends it', () => {
    for (const f of reading.fields) {
      expect(CRITEST_KINDS, f.field).to.include(f.critest);
      expect(Array.isArray(f.specs), f.field).to.equal(true);
      if (f.critest === 'none') continue;
      expect(f.specs.length, `${f.field}: ${f.critest} needs the specs that reach it`).to.be.greaterThan(0);
      for (const s of f.specs) expect(s, f.field).to.match(/^[a-z_]+\.go: \S/);
    }
  });

  it('totals add up on both sides, each field counted once', () => {
    const c = critestTotals(reading);
    expect(c.fields).to.equal(reading.fields.length);
    expect(c.judged + c.byKind.sent + c.byKind.none).to.equal(c.fields);
    expect(c.declared).to.equal(c.byKind.effect + c.byKind.true + c.byKind.honoured + c.byKind.echo);
    const o = oursTotals(buildFieldMap());
    expect(o.fields).to.equal(reading.fields.length);
    expect(o.judged + o.byKind.reasoned + o.byKind.open).to.equal(o.fields);
    expect(o.declared).to.equal(buildFieldMap().kubelet.judgedDeclared);
    const text = renderVsCritest(o, c, reading.release);
    expect(text).to.include('critest v1.36.0');
    expect(text).to.match(/^ {4}effect +\d+ +\d+$/m);
  });
});
