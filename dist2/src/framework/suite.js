export function defineSuite(body) {
    const root = { kind: 'group', title: '', children: [] };
    let current = root;
    body({
        describe(title, inner) {
            const g = { kind: 'group', title, children: [] };
            current.children.push(g);
            const parent = current;
            current = g;
            try {
                inner();
            }
            finally {
                current = parent;
            }
        },
        it(title, fn) {
            if (current === root)
                throw new Error(`it("${title}") outside describe(): every test belongs to a describe block`);
            current.children.push({ kind: 'test', title, fn });
        },
    });
    for (const c of root.children)
        if (c.kind !== 'group')
            throw new Error('suite bodies hold describe blocks only');
    return { groups: root.children };
}
//# sourceMappingURL=suite.js.map