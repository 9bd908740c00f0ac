export function firstBodyLine(res, max = 512) {
    return new Promise((resolve) => {
        let body = '';
        const done = () => resolve(body.split('\n')[0].trim().slice(0, 300));
        res.setEncoding('utf8');
        res.on('data', (c) => {
            body += c;
            if (body.length > max) {
                res.destroy();
                done();
            }
        });
        res.on('end', done);
        res.on('error', done);
    });
}
//# sourceMappingURL=read-reason.js.map